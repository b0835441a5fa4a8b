//! Joint angles from keypoints, per frame and over time.
//!
//! Angles are degrees; positions are frame pixels (y down); times are seconds. The conventions
//! of each angle are in [`joints`].

mod facing;
pub mod filter;
pub mod geometry;
pub mod joints;
pub mod live;
pub mod series;

pub use joints::{
    frame_lateral_spread, joint_angles, joint_rays, Angle, FacingCue, JointAngles, JointRays,
    Joints, Leg, LegAngles, LegRays, Rays, Side, DEFAULT_MIN_CONFIDENCE,
};
pub use live::{LiveAngles, LiveFrameAngles};
pub use series::{AngleSeries, Channel, LegAngle, SeriesOptions, Smoothing, CHANNEL_COUNT};

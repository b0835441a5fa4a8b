//! Joint angles from keypoints.
//!
//! Angles are degrees. Image coordinates are frame pixels with y growing downwards.

pub mod geometry;

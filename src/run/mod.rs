//! The application layer: the stages wired together, once, for every way gonio is used. It
//! reports what happens as values (events, reports, errors) and never prints: the command line
//! (and later the clinic app) decides how to show them.
//!
//! - [`pipeline`]: frames of a recording to the subject's pose in every frame (decode thread,
//!   tracking);
//! - [`analyze`]: a batch of recordings to results, outputs and saved sessions;
//! - [`live`]: a camera (or a stand-in) to a live readout and measured trials;
//! - [`save`]: results into the session store;
//! - [`shard`]: one job's part of a batch split across many.

pub mod analyze;
pub mod live;
pub mod pipeline;
pub mod save;
pub mod shard;

//! What people and programs see: overlays drawn on frames, tables, JSON.

pub mod json;
pub mod overlay;

//! Plane geometry on frame points, in f32. No allocation.

/// A point in frame pixels (x right, y down).
pub type Point = (f32, f32);

/// Segments shorter than this (pixels) have no direction worth measuring.
pub const MIN_SEGMENT_PX: f32 = 1e-3;

/// The interior angle at `vertex` between the rays to `a` and to `b`, in degrees, 0 to 180.
/// None when either ray is shorter than [`MIN_SEGMENT_PX`].
#[inline]
pub fn interior_angle_deg(a: Point, vertex: Point, b: Point) -> Option<f32> {
    let (ux, uy) = (a.0 - vertex.0, a.1 - vertex.1);
    let (vx, vy) = (b.0 - vertex.0, b.1 - vertex.1);
    let (nu, nv) = (ux.hypot(uy), vx.hypot(vy));
    if nu < MIN_SEGMENT_PX || nv < MIN_SEGMENT_PX {
        return None;
    }
    // atan2 of cross and dot is accurate near 0 and 180 degrees, where acos is not.
    let cross = ux * vy - uy * vx;
    let dot = ux * vx + uy * vy;
    Some(cross.abs().atan2(dot).to_degrees())
}

/// Knee flexion in degrees: 180 minus the interior angle hip-knee-ankle; 0 = straight knee.
#[inline]
pub fn knee_flexion_deg(hip: Point, knee: Point, ankle: Point) -> Option<f32> {
    interior_angle_deg(hip, knee, ankle).map(|a| 180.0 - a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn right_angle_and_straight_line() {
        assert!(
            (interior_angle_deg((1.0, 0.0), (0.0, 0.0), (0.0, 1.0)).unwrap() - 90.0).abs() < 1e-4
        );
        assert!(
            (interior_angle_deg((-1.0, 0.0), (0.0, 0.0), (3.0, 0.0)).unwrap() - 180.0).abs() < 1e-4
        );
        assert_eq!(
            knee_flexion_deg((0.0, 0.0), (0.0, 10.0), (0.0, 20.0)),
            Some(0.0)
        );
        assert_eq!(interior_angle_deg((0.0, 0.0), (0.0, 0.0), (1.0, 1.0)), None);
    }
}

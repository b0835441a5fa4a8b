//! Plane geometry on frame points, in f32, without allocation.
//!
//! Frame coordinates: pixels, x to the right, y downwards.

/// A point or vector in frame pixels (x right, y down).
pub type Point = (f32, f32);

/// Squared segment lengths under this (pixels²) have no direction worth measuring.
pub const MIN_SEGMENT_SQ_PX: f32 = 1e-6;

#[inline]
pub fn sub(a: Point, b: Point) -> Point {
    (a.0 - b.0, a.1 - b.1)
}

#[inline]
pub fn midpoint(a: Point, b: Point) -> Point {
    ((a.0 + b.0) * 0.5, (a.1 + b.1) * 0.5)
}

/// z-component of the cross product `u × v`. In frame coordinates (y down) it is positive when
/// `v` lies clockwise of `u` on screen.
#[inline]
pub fn cross(u: Point, v: Point) -> f32 {
    u.0 * v.1 - u.1 * v.0
}

#[inline]
pub fn dot(u: Point, v: Point) -> f32 {
    u.0 * v.0 + u.1 * v.1
}

#[inline]
pub fn norm_sq(u: Point) -> f32 {
    dot(u, u)
}

/// `atan2(y, x)` in degrees, -180 to 180, by a minimax polynomial: absolute error under 0.001
/// degrees (f32 rounding included), several times faster than the library call, and simple enough to
/// vectorise.
#[inline]
pub fn atan2_deg(y: f32, x: f32) -> f32 {
    let (ax, ay) = (x.abs(), y.abs());
    let (lo, hi) = (ax.min(ay), ax.max(ay));
    if hi == 0.0 {
        return 0.0;
    }
    let t = lo / hi;
    let t2 = t * t;
    // atan(t) on [0, 1], odd minimax polynomial of degree 11.
    let mut r = (((((-0.011_726_76 * t2 + 0.052_653_33) * t2 - 0.116_432_87) * t2 + 0.193_543_46)
        * t2
        - 0.332_623_47)
        * t2
        + 0.999_977_26)
        * t;
    if ay > ax {
        r = std::f32::consts::FRAC_PI_2 - r;
    }
    if x < 0.0 {
        r = std::f32::consts::PI - r;
    }
    if y < 0.0 {
        r = -r;
    }
    r.to_degrees()
}

/// Signed angle from `u` to `v` in degrees, -180 to 180; positive when `v` is clockwise of `u`
/// on screen. None when either vector is (nearly) zero.
#[inline]
pub fn signed_angle_deg(u: Point, v: Point) -> Option<f32> {
    if norm_sq(u) < MIN_SEGMENT_SQ_PX || norm_sq(v) < MIN_SEGMENT_SQ_PX {
        return None;
    }
    Some(atan2_deg(cross(u, v), dot(u, v)))
}

/// `deg` as the same direction within -180 (exclusive) to 180 degrees; NaN stays NaN.
pub fn wrap_deg(deg: f32) -> f32 {
    let wrapped = (deg + 180.0).rem_euclid(360.0) - 180.0;
    if wrapped == -180.0 {
        180.0
    } else {
        wrapped
    }
}

/// Distance between two points, pixels.
#[inline]
pub fn distance(a: Point, b: Point) -> f32 {
    norm_sq(sub(a, b)).sqrt()
}

/// The interior angle at `vertex` between the rays to `a` and to `b`, in degrees, 0 to 180.
/// None when either ray is (nearly) zero.
#[inline]
pub fn interior_angle_deg(a: Point, vertex: Point, b: Point) -> Option<f32> {
    signed_angle_deg(sub(a, vertex), sub(b, vertex)).map(f32::abs)
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
            (interior_angle_deg((1.0, 0.0), (0.0, 0.0), (0.0, 1.0)).unwrap() - 90.0).abs() < 1e-3
        );
        assert!(
            (interior_angle_deg((-1.0, 0.0), (0.0, 0.0), (3.0, 0.0)).unwrap() - 180.0).abs() < 1e-3
        );
        assert!(
            knee_flexion_deg((0.0, 0.0), (0.0, 10.0), (0.0, 20.0))
                .unwrap()
                .abs()
                < 1e-3
        );
        assert_eq!(interior_angle_deg((0.0, 0.0), (0.0, 0.0), (1.0, 1.0)), None);
    }

    #[test]
    fn fast_atan2_matches_the_library_everywhere() {
        let mut worst: f32 = 0.0;
        for i in 0..3600 {
            let a = (i as f32 * 0.1 - 180.0).to_radians();
            for r in [1e-3_f32, 1.0, 250.0, 1e5] {
                let (y, x) = (r * a.sin(), r * a.cos());
                let diff = (atan2_deg(y, x) - y.atan2(x).to_degrees()).abs();
                worst = worst.max(diff.min(360.0 - diff));
            }
        }
        assert!(worst < 1e-3, "worst error {worst} deg");
        assert_eq!(atan2_deg(0.0, 0.0), 0.0);
        assert_eq!(atan2_deg(0.0, 1.0), 0.0);
        assert!((atan2_deg(0.0, -1.0) - 180.0).abs() < 1e-4);
    }

    #[test]
    fn signed_angle_is_clockwise_on_screen() {
        // From pointing right to pointing down (y down) is a clockwise quarter turn on screen.
        assert!((signed_angle_deg((1.0, 0.0), (0.0, 1.0)).unwrap() - 90.0).abs() < 1e-3);
        assert!((signed_angle_deg((1.0, 0.0), (0.0, -1.0)).unwrap() + 90.0).abs() < 1e-3);
    }
}

//! Filters for angle series: outlier rejection, gap filling, zero-phase Butterworth smoothing
//! for recorded series, and the One Euro filter for live use.
//!
//! Series are `f32` slices in degrees with `NaN` for a missing sample, processed in place, with
//! timestamps in seconds beside them.

/// The longest interval between samples [`reject_outliers`] lets a movement turn a limb over,
/// seconds: 10 frames/s. Beside a longer gap (frames lost for a while) the samples beside are
/// no guide to what a limb could reach, and a spike of more than 30 deg at 300 deg/s is still
/// one (a swing's peak lies 18 deg above its neighbours at 8 frames/s, 20 at 5 frames/s with a
/// swing every 1.2 s; a single misread frame, too short for the jump rule, is left out).
const MOVING_SPIKE_MAX_S: f64 = 0.1;

/// Rejects single-frame spikes: a sample further from the median of itself and its two
/// neighbours on each side (`time_s`, seconds, one per sample) than `threshold_deg`, and than a
/// turn at `deg_per_s` over the longer of the intervals to the samples beside it (at most
/// 0.1 s), becomes missing. (At a movement's turn the median is about the sample beside it,
/// which lies that far away at most: far apart in time, a movement's own peak is no spike.)
/// Needs no allocation beyond `scratch`, which it resizes to the series' length.
pub fn reject_outliers(
    time_s: &[f64],
    values: &mut [f32],
    threshold_deg: f32,
    deg_per_s: f32,
    scratch: &mut Vec<f32>,
) {
    let n = values.len().min(time_s.len());
    if n < 5 {
        return;
    }
    // The longer interval from sample `i` to a sample beside it, seconds (0 where unknown), at
    // most MOVING_SPIKE_MAX_S.
    let interval = |i: usize| {
        let before = i.checked_sub(1).map_or(0.0, |j| time_s[i] - time_s[j]);
        let after = time_s.get(i + 1).map_or(0.0, |t| t - time_s[i]);
        let longer = before.max(after);
        if longer.is_finite() {
            longer.min(MOVING_SPIKE_MAX_S) as f32
        } else {
            0.0
        }
    };
    scratch.clear();
    scratch.extend_from_slice(values);
    for i in 0..n {
        let x = scratch[i];
        if x.is_nan() {
            continue;
        }
        let lo = i.saturating_sub(2);
        let hi = (i + 3).min(n);
        let mut window = [f32::NAN; 5];
        let mut count = 0;
        for &v in &scratch[lo..hi] {
            if !v.is_nan() {
                window[count] = v;
                count += 1;
            }
        }
        if count < 3 {
            continue;
        }
        let window = &mut window[..count];
        window.sort_unstable_by(f32::total_cmp);
        let median = window[count / 2];
        if (x - median).abs() > threshold_deg.max(deg_per_s * interval(i)) {
            values[i] = f32::NAN;
        }
    }
}

/// Fills runs of missing samples no longer than `max_gap_s` (from the last sample before to the
/// first after) by linear interpolation in time. Returns how many samples it filled.
pub fn fill_gaps(time_s: &[f64], values: &mut [f32], max_gap_s: f64) -> usize {
    let mut filled = 0;
    let mut last_valid: Option<usize> = None;
    for i in 0..values.len() {
        if values[i].is_nan() {
            continue;
        }
        if let Some(j) = last_valid {
            if i > j + 1 && time_s[i] - time_s[j] <= max_gap_s {
                let (t0, t1) = (time_s[j], time_s[i]);
                let (v0, v1) = (values[j], values[i]);
                for k in j + 1..i {
                    let w = ((time_s[k] - t0) / (t1 - t0)) as f32;
                    values[k] = v0 + (v1 - v0) * w;
                    filled += 1;
                }
            }
        }
        last_valid = Some(i);
    }
    filled
}

/// Second-order Butterworth low-pass coefficients (bilinear transform, pre-warped):
/// `[b0, b1, b2, a1, a2]` for a sample rate and cutoff in hertz.
fn butterworth2(sample_rate_hz: f64, cutoff_hz: f64) -> [f64; 5] {
    let k = (std::f64::consts::PI * cutoff_hz / sample_rate_hz).tan();
    let q = std::f64::consts::FRAC_1_SQRT_2;
    let norm = 1.0 / (1.0 + k / q + k * k);
    let b0 = k * k * norm;
    [
        b0,
        2.0 * b0,
        b0,
        2.0 * (k * k - 1.0) * norm,
        (1.0 - k / q + k * k) * norm,
    ]
}

/// One pass of the biquad over `x`, starting in the steady state of its first sample.
fn biquad_pass(c: &[f64; 5], x: &mut [f32]) {
    let [b0, b1, b2, a1, a2] = *c;
    let Some(&first) = x.first() else { return };
    let x0 = first as f64;
    // Steady state for a constant input x0 (unit DC gain): y = x0.
    let (mut x1, mut x2, mut y1, mut y2) = (x0, x0, x0, x0);
    for v in x.iter_mut() {
        let xi = *v as f64;
        let yi = b0 * xi + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
        x2 = x1;
        x1 = xi;
        y2 = y1;
        y1 = yi;
        *v = yi as f32;
    }
}

/// A cutoff at or above this share of the sample rate filters nothing (see
/// [`butterworth_zero_phase`]): just under the highest frequency the samples can show.
pub const NYQUIST_SHARE: f64 = 0.45;

/// Zero-phase low-pass: a second-order Butterworth run forwards then backwards (4th-order
/// response, no lag), on each run of present samples separately. The series is treated as
/// evenly sampled at `sample_rate_hz`; runs shorter than 2 samples and cutoffs at or above
/// [`NYQUIST_SHARE`] × the sample rate are left as they are. Edges are padded by odd
/// reflection to tame the start-up transient.
pub fn butterworth_zero_phase(
    values: &mut [f32],
    sample_rate_hz: f64,
    cutoff_hz: f64,
    scratch: &mut Vec<f32>,
) {
    let usable = sample_rate_hz.is_finite() && sample_rate_hz > 0.0 && cutoff_hz > 0.0;
    if !usable || cutoff_hz >= NYQUIST_SHARE * sample_rate_hz {
        return;
    }
    let coefficients = butterworth2(sample_rate_hz, cutoff_hz);
    let mut start = 0;
    while start < values.len() {
        if values[start].is_nan() {
            start += 1;
            continue;
        }
        let end = values[start..]
            .iter()
            .position(|v| v.is_nan())
            .map_or(values.len(), |p| start + p);
        filtfilt_run(&coefficients, &mut values[start..end], scratch);
        start = end;
    }
}

fn filtfilt_run(c: &[f64; 5], run: &mut [f32], scratch: &mut Vec<f32>) {
    let n = run.len();
    if n < 2 {
        return;
    }
    let pad = (3 * 3).min(n - 1);
    scratch.clear();
    let (first, last) = (run[0], run[n - 1]);
    scratch.extend((1..=pad).rev().map(|i| 2.0 * first - run[i]));
    scratch.extend_from_slice(run);
    scratch.extend((1..=pad).map(|i| 2.0 * last - run[n - 1 - i]));
    biquad_pass(c, scratch);
    scratch.reverse();
    biquad_pass(c, scratch);
    scratch.reverse();
    run.copy_from_slice(&scratch[pad..pad + n]);
}

/// The One Euro filter (Casiez, Roussel and Vogel, CHI 2012): a low-pass whose cutoff rises with
/// the signal's speed, so that a held pose is steady and a moving limb does not lag. For live
/// use, one sample at a time, with timestamps in seconds.
#[derive(Debug, Clone)]
pub struct OneEuroFilter {
    /// Cutoff at rest, hertz. Lower = steadier.
    pub min_cutoff_hz: f64,
    /// How fast the cutoff rises with speed (per degree/second). Higher = less lag.
    pub beta: f64,
    /// Cutoff for the speed estimate, hertz.
    pub derivative_cutoff_hz: f64,
    state: Option<(f64, f64, f64)>, // (time_s, value, derivative)
}

impl OneEuroFilter {
    pub fn new(min_cutoff_hz: f64, beta: f64) -> Self {
        OneEuroFilter {
            min_cutoff_hz,
            beta,
            derivative_cutoff_hz: 1.0,
            state: None,
        }
    }

    /// Filters one sample; a missing (NaN) sample returns the last estimate (NaN before any).
    pub fn filter(&mut self, time_s: f64, value: f32) -> f32 {
        if value.is_nan() {
            return self.state.map_or(f32::NAN, |s| s.1 as f32);
        }
        let x = value as f64;
        let Some((t0, x0, dx0)) = self.state else {
            self.state = Some((time_s, x, 0.0));
            return value;
        };
        let dt = time_s - t0;
        if dt <= 0.0 {
            return x0 as f32;
        }
        let alpha = |cutoff: f64| {
            let tau = 1.0 / (2.0 * std::f64::consts::PI * cutoff);
            1.0 / (1.0 + tau / dt)
        };
        let dx = (x - x0) / dt;
        let dx_hat = dx0 + alpha(self.derivative_cutoff_hz) * (dx - dx0);
        let cutoff = self.min_cutoff_hz + self.beta * dx_hat.abs();
        let x_hat = x0 + alpha(cutoff) * (x - x0);
        self.state = Some((time_s, x_hat, dx_hat));
        x_hat as f32
    }

    /// The last estimate, in the units filtered; `None` before any sample.
    pub fn estimate(&self) -> Option<f32> {
        self.state.map(|(_, value, _)| value as f32)
    }

    /// Forgets the past (a new trial).
    pub fn reset(&mut self) {
        self.state = None;
    }
}

/// How much `values` scatter from sample to sample over the samples `keep` lets through, in
/// their unit: a robust estimate of one sample's noise (standard deviation) from the second
/// differences of three consecutive samples kept and known, with how many triples it is over;
/// None without any. The second difference of three independent errors has 6 times their
/// variance, and takes out a level and a steady slope; its median absolute deviation times
/// 1.4826 is the standard deviation of normal errors, and a wild sample or two does not move
/// it.
pub(crate) fn frame_scatter(values: &[f32], keep: impl Fn(usize) -> bool) -> Option<(f32, usize)> {
    let mut second: Vec<f32> = second_differences(values, keep)
        .into_iter()
        .map(|(_, d)| d)
        .collect();
    let triples = second.len();
    scatter_of(&mut second).map(|deg| (deg, triples))
}

/// The second differences of `values` over three consecutive samples kept and known, each with
/// the index of its middle sample.
pub(crate) fn second_differences(
    values: &[f32],
    keep: impl Fn(usize) -> bool,
) -> Vec<(usize, f32)> {
    (1..values.len().saturating_sub(1))
        .filter(|&i| keep(i - 1) && keep(i) && keep(i + 1))
        .map(|i| (i, values[i - 1] - 2.0 * values[i] + values[i + 1]))
        .filter(|(_, d)| d.is_finite())
        .collect()
}

/// One sample's noise (standard deviation) from second differences (see [`frame_scatter`]);
/// None without any. Reorders `second`.
pub(crate) fn scatter_of(second: &mut [f32]) -> Option<f32> {
    if second.is_empty() {
        return None;
    }
    let median = crate::stats::median(second);
    for d in second.iter_mut() {
        *d = (*d - median).abs();
    }
    Some(1.4826 * crate::stats::median(second) / 6f32.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_scatter_reads_the_noise_not_the_movement() {
        // Normal noise of 2 deg (Box-Muller over a fixed congruential sequence) on a stretch at
        // 30 frames/s: 1 s of rest, 30 deg risen over 2 s, then held.
        let mut state = 12345u64;
        let mut uniform = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        };
        let movement = |i: usize| 30.0 * ((i as f32 / 30.0 - 1.0) / 2.0).clamp(0.0, 1.0);
        let noisy: Vec<f32> = (0..600)
            .map(|i| {
                let (u, v) = (uniform(), uniform());
                let normal = (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos();
                movement(i) + 2.0 * normal as f32
            })
            .collect();
        let (deg, triples) = frame_scatter(&noisy, |_| true).expect("an estimate");
        assert_eq!(triples, 598);
        assert!((deg - 2.0).abs() < 0.3, "{deg}");
        // The movement alone scatters by nothing (its two bends are no median).
        let still: Vec<f32> = (0..600).map(movement).collect();
        assert!(frame_scatter(&still, |_| true).is_some_and(|(deg, _)| deg < 0.01));
        // Only three consecutive samples known and kept make a triple.
        let gappy: Vec<f32> = noisy
            .iter()
            .enumerate()
            .map(|(i, &v)| if i % 2 == 0 { f32::NAN } else { v })
            .collect();
        assert_eq!(frame_scatter(&gappy, |_| true), None);
        assert_eq!(frame_scatter(&noisy, |i| i % 3 != 0), None);
        assert_eq!(frame_scatter(&noisy, |i| i < 12).map(|s| s.1), Some(10));
    }

    #[test]
    fn outliers_are_removed_and_smooth_data_kept() {
        let mut v: Vec<f32> = (0..20).map(|i| i as f32 * 0.5).collect();
        v[7] = 80.0;
        let t: Vec<f64> = (0..20).map(|i| f64::from(i) / 30.0).collect();
        let mut scratch = Vec::new();
        reject_outliers(&t, &mut v, 10.0, 0.0, &mut scratch);
        assert!(v[7].is_nan());
        assert_eq!(v.iter().filter(|x| x.is_nan()).count(), 1);
        // A spike of about 26 deg is kept where a limb turning at 300 deg/s could reach it from
        // the samples beside it (0.1 s apart, or more), and still left out at 30 samples/s.
        let mut kept: Vec<f32> = (0..20).map(|i| i as f32 * 0.5).collect();
        kept[7] = 30.0;
        let slow: Vec<f64> = (0..20).map(|i| f64::from(i) * 0.3).collect();
        reject_outliers(&slow, &mut kept, 10.0, 300.0, &mut scratch);
        assert_eq!(kept[7], 30.0);
        reject_outliers(&t, &mut kept, 10.0, 300.0, &mut scratch);
        assert!(kept[7].is_nan());
        // Beside frames lost for a second, a spike is judged as if 0.1 s apart.
        let mut after_gap: Vec<f32> = (0..20).map(|i| i as f32 * 0.5).collect();
        after_gap[7] = 40.0;
        let gap: Vec<f64> = (0..20)
            .map(|i| f64::from(i) / 30.0 + if i >= 7 { 1.0 } else { 0.0 })
            .collect();
        reject_outliers(&gap, &mut after_gap, 10.0, 300.0, &mut scratch);
        assert!(after_gap[7].is_nan());
    }

    #[test]
    fn gaps_are_filled_in_time_not_in_samples() {
        let t = [0.0, 0.1, 0.2, 0.4, 1.5];
        let mut v = [0.0, f32::NAN, f32::NAN, 40.0, f32::NAN];
        assert_eq!(fill_gaps(&t, &mut v, 0.5), 2);
        assert!((v[1] - 10.0).abs() < 1e-4 && (v[2] - 20.0).abs() < 1e-4);
        assert!(v[4].is_nan());
        let mut long = [0.0, f32::NAN, 10.0];
        assert_eq!(fill_gaps(&[0.0, 0.5, 1.0], &mut long, 0.5), 0);
    }

    #[test]
    fn butterworth_keeps_constants_and_slow_signals_without_lag() {
        let fs = 30.0;
        let mut scratch = Vec::new();
        let mut constant = vec![12.5f32; 100];
        butterworth_zero_phase(&mut constant, fs, 4.0, &mut scratch);
        assert!(constant.iter().all(|v| (v - 12.5).abs() < 1e-3));
        // A 0.5 Hz sine passes with no phase shift (zero-phase) and nearly full amplitude.
        let sine: Vec<f32> = (0..300)
            .map(|i| (i as f32 / 30.0 * std::f32::consts::TAU * 0.5).sin() * 10.0)
            .collect();
        let mut filtered = sine.clone();
        butterworth_zero_phase(&mut filtered, fs, 4.0, &mut scratch);
        for i in 30..270 {
            assert!((filtered[i] - sine[i]).abs() < 0.1, "sample {i}");
        }
        // An 8 Hz wobble is strongly attenuated.
        let mut wobble: Vec<f32> = (0..300)
            .map(|i| (i as f32 / 30.0 * std::f32::consts::TAU * 8.0).sin())
            .collect();
        butterworth_zero_phase(&mut wobble, fs, 4.0, &mut scratch);
        assert!(wobble[30..270].iter().all(|v| v.abs() < 0.2));
    }

    #[test]
    fn butterworth_leaves_gaps_alone() {
        let mut v = vec![1.0f32, 1.0, 1.0, f32::NAN, 5.0, 5.0, 5.0];
        butterworth_zero_phase(&mut v, 30.0, 4.0, &mut Vec::new());
        assert!(v[3].is_nan());
        assert!((v[0] - 1.0).abs() < 1e-4 && (v[6] - 5.0).abs() < 1e-4);
    }

    #[test]
    fn one_euro_settles_on_a_held_value_and_follows_a_move() {
        let mut f = OneEuroFilter::new(1.0, 0.05);
        let mut out = 0.0;
        for i in 0..120 {
            let noise = if i % 2 == 0 { 1.0 } else { -1.0 };
            out = f.filter(i as f64 / 30.0, 30.0 + noise);
        }
        assert!((out - 30.0).abs() < 0.3, "{out}");
        for i in 120..150 {
            out = f.filter(i as f64 / 30.0, 60.0);
        }
        assert!((out - 60.0).abs() < 1.0, "{out}");
        assert!(f.filter(6.0, f32::NAN).is_finite());
    }
}

//! The sustained maximum: the highest level an angle was held at, not a single-frame spike.

/// How a hold is recognised.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HoldCriteria {
    /// A hold lasts at least this long, seconds.
    pub min_hold_s: f64,
    /// Every sample of the hold lies within ± this of the hold's mean, degrees.
    pub band_deg: f32,
    /// Frames further apart than this (seconds), or than three typical frame intervals if that
    /// is longer, have missing time between them: a hold never spans it.
    pub max_gap_s: f64,
}

impl Default for HoldCriteria {
    /// 1 s within ±3 degrees (a working assumption, see the README).
    fn default() -> Self {
        HoldCriteria {
            min_hold_s: 1.0,
            band_deg: 3.0,
            max_gap_s: 0.3,
        }
    }
}

/// The sustained maximum of a series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hold {
    /// The held level, degrees: for [`sustained_maximum`], the mean over every window that
    /// qualifies as a hold and whose mean is within a third of the band of the best window's;
    /// for a stay ([`stays`]), the mean over its samples.
    pub level_deg: f32,
    /// How long the angle stayed within ± band of that level around that window, seconds.
    pub duration_s: f64,
    /// Start and end of that stay, seconds.
    pub start_s: f64,
    pub end_s: f64,
    /// Index of the sample nearest the middle of the best window (for the evidence picture).
    pub frame_index: usize,
}

/// Finds the sustained maximum: over every window of at least `min_hold_s` in which all present
/// samples lie within ±`band_deg` of the window's mean, the highest window mean.
/// Windows never span a missing (`NaN`) sample (fill short gaps before) nor missing time (frames
/// further apart than [`HoldCriteria::max_gap_s`]): rows absent from a keypoint file are time in
/// which nothing was seen. O(n log n) time (the typical frame interval), O(n) after.
///
/// The level reported averages every qualifying window whose mean comes within `band_deg / 3` of
/// the best: with pose-model jitter, the single best of many overlapping windows is the one the
/// noise lifted most, while a hold of 20 s has many windows at the same true level. Averaging them
/// removes that upward bias (150 noisy synthetic trials: median error 0.64 -> 0.15 degrees,
/// worst 2.0 -> 1.1) and still singles out a short hold above a longer, lower one. The price is
/// a slight pull towards the ramp into a hold (0.15 degrees in the unit test below).
///
/// Returns None when no window qualifies (the angle was never held).
pub fn sustained_maximum(time_s: &[f64], values: &[f32], criteria: &HoldCriteria) -> Option<Hold> {
    let n = time_s.len().min(values.len());
    let gap_s = criteria.max_gap_s.max(3.0 * median_interval(&time_s[..n]));
    // Whether sample k starts a new stretch of time (missing time before it).
    let after_gap = |k: usize| k > 0 && time_s[k] - time_s[k - 1] > gap_s;
    let windows = still_windows(time_s, values, criteria);
    let (best_mean, first, last) =
        windows
            .iter()
            .copied()
            .reduce(|best, w| if w.0 > best.0 { w } else { best })?;
    // The level: mean over the samples of every window near the best (each sample once).
    let tolerance = criteria.band_deg / 3.0;
    let (mut sum, mut count, mut covered_to) = (0.0f64, 0usize, 0usize);
    for &(mean, i, j) in &windows {
        if mean >= best_mean - tolerance {
            for &v in &values[i.max(covered_to)..=j] {
                sum += v as f64;
                count += 1;
            }
            covered_to = covered_to.max(j + 1);
        }
    }
    let level = if count > 0 {
        (sum / count as f64) as f32
    } else {
        best_mean
    };
    // Extend the stay while the angle remains within the band around the level.
    let within = |k: usize| !values[k].is_nan() && (values[k] - level).abs() <= criteria.band_deg;
    let (mut a, mut b) = (first, last);
    while a > 0 && !after_gap(a) && within(a - 1) {
        a -= 1;
    }
    while b + 1 < n && !after_gap(b + 1) && within(b + 1) {
        b += 1;
    }
    let frame_index = middle_frame(time_s, first, last);
    Some(Hold {
        level_deg: level,
        duration_s: time_s[b] - time_s[a],
        start_s: time_s[a],
        end_s: time_s[b],
        frame_index,
    })
}

/// A hold that unseen time split: the sustained maximum (see [`sustained_maximum`]) with
/// unseen stretches (samples not `seen`, and missing time) of up to `max_unseen_s` seconds
/// bridged, and the longest unseen stretch inside it, seconds (from the last sample seen before
/// it to the first after). A sample seen but `NaN` in `values` (seen, but not counting) still
/// breaks a hold. None where no hold is found so, where nothing unseen lies inside it, or where
/// less than half of [`HoldCriteria::min_hold_s`] of it was seen. Such a hold is not held
/// (nothing was seen in between): it tells why no hold was found at that level.
pub fn split_by_unseen_time(
    time_s: &[f64],
    values: &[f32],
    seen: &[bool],
    criteria: &HoldCriteria,
    max_unseen_s: f64,
) -> Option<(Hold, f64)> {
    let n = time_s.len().min(values.len()).min(seen.len());
    let gap_s = criteria.max_gap_s.max(3.0 * median_interval(&time_s[..n]));
    // The samples seen, with the index of each in the series.
    let seen: Vec<usize> = (0..n).filter(|&i| seen[i]).collect();
    let seen_time: Vec<f64> = seen.iter().map(|&i| time_s[i]).collect();
    let seen_values: Vec<f32> = seen.iter().map(|&i| values[i]).collect();
    let bridged = HoldCriteria {
        max_gap_s: max_unseen_s,
        ..*criteria
    };
    let hold = sustained_maximum(&seen_time, &seen_values, &bridged)?;
    // Each step from one sample seen to the next inside the hold: unseen where samples between
    // were not seen, or time went missing.
    let unseen_steps: Vec<f64> = seen
        .windows(2)
        .filter(|w| time_s[w[0]] >= hold.start_s && time_s[w[1]] <= hold.end_s)
        .filter(|w| w[1] - w[0] > 1 || time_s[w[1]] - time_s[w[0]] > gap_s)
        .map(|w| time_s[w[1]] - time_s[w[0]])
        .collect();
    let longest_s = unseen_steps.iter().copied().fold(0.0, f64::max);
    let seen_s = hold.duration_s - unseen_steps.iter().sum::<f64>();
    (longest_s > 0.0 && seen_s >= 0.5 * criteria.min_hold_s).then(|| {
        let hold = Hold {
            frame_index: seen[hold.frame_index],
            ..hold
        };
        (hold, longest_s)
    })
}

/// Every stay, in time order: the still windows that follow one another (overlapping or
/// adjacent, each mean within `band_deg / 3` of the stay's first) make one stay, its level the
/// mean of its samples. A position test's result is the last stay, where the relaxed limb
/// settled and stayed until the patient got up (the Thomas test's hanging leg): the highest hold
/// was a pause with the leg still level as the patient lay back, the lowest a therapist's press,
/// the longest a half-hugged knee held before the hug was tightened, as the test asks.
pub fn stays(time_s: &[f64], values: &[f32], criteria: &HoldCriteria) -> Vec<Hold> {
    let windows = still_windows(time_s, values, criteria);
    let tolerance = criteria.band_deg / 3.0;
    // (first mean, first sample, last sample) of each stay.
    let mut spans: Vec<(f32, usize, usize)> = Vec::new();
    for &(mean, first, last) in &windows {
        match spans.last_mut() {
            Some(stay) if first <= stay.2 + 1 && (mean - stay.0).abs() <= tolerance => {
                stay.2 = stay.2.max(last);
            }
            _ => spans.push((mean, first, last)),
        }
    }
    spans
        .into_iter()
        .map(|(_, first, last)| {
            let samples: Vec<f32> = values[first..=last]
                .iter()
                .copied()
                .filter(|v| !v.is_nan())
                .collect();
            Hold {
                level_deg: samples.iter().sum::<f32>() / samples.len().max(1) as f32,
                duration_s: time_s[last] - time_s[first],
                start_s: time_s[first],
                end_s: time_s[last],
                frame_index: middle_frame(time_s, first, last),
            }
        })
        .collect()
}

/// Every window of at least `min_hold_s` in which all samples lie within ±`band_deg` of the
/// window's mean (the angle kept still there): (mean in degrees, first sample, last sample), in
/// time order. Windows never span a missing (`NaN`) sample nor missing time.
pub fn still_windows(
    time_s: &[f64],
    values: &[f32],
    criteria: &HoldCriteria,
) -> Vec<(f32, usize, usize)> {
    let mut windows = Vec::new();
    each_window(time_s, values, criteria, |mean, (lo, hi), first, last| {
        if hi - mean <= criteria.band_deg && mean - lo <= criteria.band_deg {
            windows.push((mean, first, last));
        }
    });
    windows
}

/// The lowest mean over a stretch of at least `min_hold_s` (missing samples and missing time
/// never spanned), still or not, degrees: where the angle rested, measured as a hold is. The
/// lowest single sample is the deepest dip of the keypoints' jitter: with a thigh read ±4 px
/// at 60 px, a held rest sat 2 to 5 deg above it, and that rest was taken for a stretch made
/// from a lower one. None when no stretch is that long.
pub fn lowest_level(time_s: &[f64], values: &[f32], criteria: &HoldCriteria) -> Option<f32> {
    let mut lowest: Option<f32> = None;
    each_window(time_s, values, criteria, |mean, _, _, _| {
        lowest = Some(lowest.map_or(mean, |low| low.min(mean)));
    });
    lowest
}

/// Calls `visit(mean, (lowest, highest), first, last)` for the shortest window of at least
/// `min_hold_s` starting at each sample, in time order, never spanning a missing (`NaN`)
/// sample nor missing time. O(n) after the typical frame interval.
fn each_window(
    time_s: &[f64],
    values: &[f32],
    criteria: &HoldCriteria,
    mut visit: impl FnMut(f32, (f32, f32), usize, usize),
) {
    let n = time_s.len().min(values.len());
    let gap_s = criteria.max_gap_s.max(3.0 * median_interval(&time_s[..n]));
    let after_gap = |k: usize| k > 0 && time_s[k] - time_s[k - 1] > gap_s;
    let mut max_q = std::collections::VecDeque::new();
    let mut min_q = std::collections::VecDeque::new();
    let mut start = 0;
    while start < n {
        if values[start].is_nan() {
            start += 1;
            continue;
        }
        let end = (start + 1..n)
            .find(|&k| values[k].is_nan() || after_gap(k))
            .unwrap_or(n);
        // Slide a window [i, j_end) over the run: the shortest that spans at least min_hold_s.
        max_q.clear();
        min_q.clear();
        let mut sum = 0.0f64;
        let mut j_end = start;
        for i in start..end {
            while j_end < end && (j_end == i || time_s[j_end - 1] - time_s[i] < criteria.min_hold_s)
            {
                push(&mut max_q, &mut min_q, values, j_end);
                sum += values[j_end] as f64;
                j_end += 1;
            }
            let last = j_end - 1;
            if time_s[last] - time_s[i] < criteria.min_hold_s {
                break; // the rest of the run is shorter than a hold
            }
            let mean = (sum / (j_end - i) as f64) as f32;
            visit(mean, (values[min_q[0]], values[max_q[0]]), i, last);
            sum -= values[i] as f64;
            if max_q.front() == Some(&i) {
                max_q.pop_front();
            }
            if min_q.front() == Some(&i) {
                min_q.pop_front();
            }
        }
        start = end;
    }
}

/// The sample nearest the middle (in time) of samples `first..=last`.
fn middle_frame(time_s: &[f64], first: usize, last: usize) -> usize {
    let middle_s = (time_s[first] + time_s[last]) / 2.0;
    (first..=last)
        .min_by(|&x, &y| {
            (time_s[x] - middle_s)
                .abs()
                .total_cmp(&(time_s[y] - middle_s).abs())
        })
        .unwrap_or(first)
}

/// The median interval between consecutive timestamps, seconds; 0 with fewer than two.
pub(super) fn median_interval(time_s: &[f64]) -> f64 {
    let mut intervals: Vec<f64> = time_s.windows(2).map(|w| w[1] - w[0]).collect();
    if intervals.is_empty() {
        return 0.0;
    }
    let middle = intervals.len() / 2;
    let (_, median, _) = intervals.select_nth_unstable_by(middle, f64::total_cmp);
    *median
}

fn push(
    max_q: &mut std::collections::VecDeque<usize>,
    min_q: &mut std::collections::VecDeque<usize>,
    values: &[f32],
    j: usize,
) {
    while max_q.back().is_some_and(|&k| values[k] <= values[j]) {
        max_q.pop_back();
    }
    max_q.push_back(j);
    while min_q.back().is_some_and(|&k| values[k] >= values[j]) {
        min_q.pop_back();
    }
    min_q.push_back(j);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(fps: f64, f: impl Fn(f64) -> f32, seconds: f64) -> (Vec<f64>, Vec<f32>) {
        let t: Vec<f64> = (0..(seconds * fps) as usize)
            .map(|i| i as f64 / fps)
            .collect();
        let v = t.iter().map(|&t| f(t)).collect();
        (t, v)
    }

    #[test]
    fn a_hold_split_by_unseen_time_is_found_and_a_break_seen_is_not_bridged() {
        // 0 for 2 s, 20 from 2 to 3.6 s, 0 after; 0.4 s unseen from 2.6 s.
        let (t, v) = series(
            30.0,
            |t| if (2.0..3.6).contains(&t) { 20.0 } else { 0.0 },
            6.0,
        );
        let criteria = HoldCriteria::default();
        let unseen = |t: f64| (2.6..3.0).contains(&t);
        let seen: Vec<bool> = t.iter().map(|&t| !unseen(t)).collect();
        let values: Vec<f32> = v
            .iter()
            .zip(&seen)
            .map(|(&v, &s)| if s { v } else { f32::NAN })
            .collect();
        let held = sustained_maximum(&t, &values, &criteria).expect("the rest");
        assert!(held.level_deg.abs() < 0.1, "{held:?}");
        let (split, unseen_s) =
            split_by_unseen_time(&t, &values, &seen, &criteria, 1.0).expect("split");
        assert!((split.level_deg - 20.0).abs() < 0.1, "{split:?}");
        assert!((unseen_s - 0.433).abs() < 0.01, "{unseen_s}");
        assert!(!unseen(t[split.frame_index]), "{split:?}");
        // Unseen for longer than bridged: no hold.
        assert_eq!(
            split_by_unseen_time(&t, &values, &seen, &criteria, 0.3).map(|s| s.1),
            None
        );
        // Seen but not counting (a knee bent in a straight-leg raise): the hold is broken.
        let seen = vec![true; t.len()];
        assert_eq!(
            split_by_unseen_time(&t, &values, &seen, &criteria, 1.0),
            None
        );
        // At 5 frames/s, one frame unseen (0.4 s between the frames seen, under three
        // intervals): the hold it broke is found.
        let (t, v) = series(
            5.0,
            |t| if (2.0..3.6).contains(&t) { 20.0 } else { 0.0 },
            6.0,
        );
        let seen: Vec<bool> = t.iter().map(|&t| (t - 2.8).abs() > 0.01).collect();
        let values: Vec<f32> = v
            .iter()
            .zip(&seen)
            .map(|(&v, &s)| if s { v } else { f32::NAN })
            .collect();
        let (split, unseen_s) =
            split_by_unseen_time(&t, &values, &seen, &criteria, 1.0).expect("split");
        assert!((split.level_deg - 20.0).abs() < 0.1, "{split:?}");
        assert!((unseen_s - 0.4).abs() < 0.01, "{unseen_s}");
        // Seen for 0.1 s either side of 0.9 s unseen: too little seen to speak of a hold.
        let (t, v) = series(
            30.0,
            |t| if (2.0..3.1).contains(&t) { 20.0 } else { 0.0 },
            6.0,
        );
        let seen: Vec<bool> = t.iter().map(|&t| !(2.1..3.0).contains(&t)).collect();
        let values: Vec<f32> = v
            .iter()
            .zip(&seen)
            .map(|(&v, &s)| if s { v } else { f32::NAN })
            .collect();
        assert_eq!(
            split_by_unseen_time(&t, &values, &seen, &criteria, 1.0),
            None
        );
    }

    #[test]
    fn the_lowest_level_is_a_hold_long_not_a_dip() {
        // A rest at 0 with a dip to -6 for 0.2 s, then 18 held.
        let (t, v) = series(
            30.0,
            |t| match t {
                t if (1.0..1.2).contains(&t) => -6.0,
                t if t < 3.0 => 0.0,
                _ => 18.0,
            },
            8.0,
        );
        let criteria = HoldCriteria::default();
        let low = lowest_level(&t, &v, &criteria).expect("a level");
        // The second over the dip: 6 of its 31 samples at -6.
        assert!(low > -1.5 && low < 0.0, "{low}");
        // No stretch as long as a hold, no level.
        let (t, v) = series(30.0, |_| 0.0, 0.9);
        assert_eq!(lowest_level(&t, &v, &criteria), None);
    }

    #[test]
    fn plateau_is_found_and_a_spike_is_not() {
        // Ramp to 25 deg, hold 3 s, a 0.2 s spike to 60 deg, back down.
        let curve = |t: f64| -> f32 {
            match t {
                t if t < 2.0 => (12.5 * t) as f32,
                t if t < 5.0 => 25.0,
                t if t < 5.2 => 60.0,
                t if t < 7.0 => 25.0 - (10.0 * (t - 5.2)) as f32,
                _ => 7.0,
            }
        };
        let (t, v) = series(30.0, curve, 8.0);
        let hold = sustained_maximum(&t, &v, &HoldCriteria::default()).unwrap();
        // Windows reaching into the ramp pull the level down a little (see the doc comment).
        assert!((hold.level_deg - 25.0).abs() < 0.2, "{hold:?}");
        assert!((hold.duration_s - 3.2).abs() < 0.3, "{hold:?}");
    }

    #[test]
    fn no_hold_in_a_steady_ramp_or_a_short_series() {
        let (t, v) = series(30.0, |t| (20.0 * t) as f32, 5.0);
        assert_eq!(sustained_maximum(&t, &v, &HoldCriteria::default()), None);
        let (t, v) = series(30.0, |_| 10.0, 0.5);
        assert_eq!(sustained_maximum(&t, &v, &HoldCriteria::default()), None);
    }

    #[test]
    fn windows_do_not_span_gaps() {
        let (t, mut v) = series(30.0, |_| 10.0, 3.0);
        for k in (15..v.len()).step_by(20) {
            v[k] = f32::NAN;
        }
        assert_eq!(sustained_maximum(&t, &v, &HoldCriteria::default()), None);
    }

    #[test]
    fn the_higher_of_two_holds_wins() {
        let (t, v) = series(60.0, |t| if t < 3.0 { 30.0 } else { 40.0 }, 6.0);
        let hold = sustained_maximum(
            &t,
            &v,
            &HoldCriteria {
                min_hold_s: 1.0,
                band_deg: 3.0,
                max_gap_s: 0.3,
            },
        )
        .unwrap();
        assert!((hold.level_deg - 40.0).abs() < 1e-3);
        assert!(hold.start_s >= 3.0);
    }

    #[test]
    fn a_hold_never_spans_missing_time() {
        // 50 deg throughout, with two 0.4-s touches of 75 deg 3 s apart and no rows between
        // them: the touches are not a 3.4-s hold at 75.
        let mut t = Vec::new();
        let mut v = Vec::new();
        for i in 0..60 {
            t.push(i as f64 / 30.0);
            v.push(50.0);
        }
        for (start, level) in [(2.0, 75.0), (5.4, 75.0)] {
            for i in 0..12 {
                t.push(start + i as f64 / 30.0);
                v.push(level);
            }
        }
        for i in 0..60 {
            t.push(6.0 + i as f64 / 30.0);
            v.push(50.0);
        }
        let hold = sustained_maximum(&t, &v, &HoldCriteria::default()).unwrap();
        assert!((hold.level_deg - 50.0).abs() < 0.5, "{hold:?}");
    }
}

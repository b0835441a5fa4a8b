//! The few summary statistics gonio needs, over plain slices of degrees.

/// The arithmetic mean; NaN for no values.
pub(crate) fn mean(values: &[f32]) -> f32 {
    values.iter().sum::<f32>() / values.len() as f32
}

/// The sample variance (divided by n − 1) and its degrees of freedom; None under two values.
pub(crate) fn sample_variance(values: &[f32]) -> Option<(f32, usize)> {
    (values.len() >= 2).then(|| {
        let m = mean(values);
        (
            values.iter().map(|v| (v - m).powi(2)).sum::<f32>() / (values.len() - 1) as f32,
            values.len() - 1,
        )
    })
}

/// The median (the mean of the middle two for an even count); NaN for no values.
pub(crate) fn median(values: &[f32]) -> f32 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f32::total_cmp);
    let n = sorted.len();
    match n {
        0 => f32::NAN,
        _ if n % 2 == 1 => sorted[n / 2],
        _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// The median of the values that are not NaN; None for none.
pub(crate) fn median_of_seen(values: impl IntoIterator<Item = f32>) -> Option<f32> {
    let seen: Vec<f32> = values.into_iter().filter(|v| !v.is_nan()).collect();
    (!seen.is_empty()).then(|| median(&seen))
}

/// The range from the 10th to the 90th percentile of the values that are not NaN (a range a few
/// stray frames do not widen); None for no values.
pub(crate) fn central_range(values: &[f32]) -> Option<f32> {
    let mut sorted: Vec<f32> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    sorted.sort_by(f32::total_cmp);
    let at = |q: f32| sorted[((sorted.len() - 1) as f32 * q).round() as usize];
    (!sorted.is_empty()).then(|| at(0.9) - at(0.1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries() {
        assert_eq!(mean(&[1.0, 2.0, 6.0]), 3.0);
        assert_eq!(sample_variance(&[1.0, 3.0]), Some((2.0, 1)));
        assert_eq!(sample_variance(&[1.0]), None);
        assert_eq!(median(&[5.0, 1.0, 3.0]), 3.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median(&[]).is_nan());
        assert_eq!(median_of_seen([f32::NAN, 4.0, 2.0]), Some(3.0));
        assert_eq!(median_of_seen([f32::NAN]), None);
        let ramp: Vec<f32> = (0..=100).map(|v| v as f32).collect();
        assert_eq!(central_range(&ramp), Some(80.0));
        assert_eq!(central_range(&[f32::NAN]), None);
    }
}

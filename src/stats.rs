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
    }
}

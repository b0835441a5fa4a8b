//! Before against after, judged against each measure's minimal detectable change.
//!
//! MDC95 = 1.96 × √2 × SEM: a change smaller than that is within measurement error. The MDC of a
//! measure is the larger of two figures, where known:
//! - gonio's own, from the within-session SEM of repeated trials, once there are enough of them
//!   ([`MIN_OWN_DOF`]);
//! - the user's configuration, else the published figure in the protocol's definition.
//!
//! The larger, because trials repeated in one session cannot see the error between sessions
//! (camera placed again, the patient warmed up differently) that a published test-retest figure
//! holds, and a published figure cannot see a patient whose trials scatter widely.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use serde::Serialize;

use super::{spans_alike, Session};
use crate::angles::Side;
use crate::protocols::{self, Quality};
use crate::stats::{mean, sample_variance};

/// Fewest degrees of freedom (each session's trials beyond its first, summed over both
/// sessions) for gonio's own SEM to count: three trials in each session, or five and one. With two trials in
/// all (one degree of freedom) the SD is uncertain by a factor of about 30, and two trials that
/// happened to agree would make any change look real.
pub const MIN_OWN_DOF: usize = 4;

/// MDC95 values from a configuration file: a JSON object from `"protocol/measure"` to degrees,
/// for example `{"slr/hip_flexion": 5.0}`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MdcOverrides(HashMap<String, f32>);

/// Why an MDC file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum MdcError {
    // (The cause is in the message, not a `source`: `{:#}` would print it twice.)
    #[error("{path}: cannot read: {error}")]
    Read {
        path: std::path::PathBuf,
        error: std::io::Error,
    },
    #[error("{path}: expected {{\"protocol/measure\": degrees, ...}}: {error}")]
    Format {
        path: std::path::PathBuf,
        error: serde_json::Error,
    },
    #[error("{path}: MDC for `{key}` must be a positive number of degrees up to 180, not {value}")]
    Value {
        path: std::path::PathBuf,
        key: String,
        value: f32,
    },
    #[error("{path}: `{key}` is given twice: which MDC is meant is unknown")]
    Twice {
        path: std::path::PathBuf,
        key: String,
    },
    #[error("{path}: `{key}` is no protocol/measure (known: {known})")]
    Unknown {
        path: std::path::PathBuf,
        key: String,
        known: String,
    },
}

impl MdcOverrides {
    /// Reads `path`. Each key is checked against the protocols and stored as the protocol's own
    /// id (`SLR/hip_flexion` is `slr/hip_flexion`: a key kept as typed would never match and the
    /// published figure would be used without a word); a key given twice is refused.
    pub fn load(path: &Path) -> Result<MdcOverrides, MdcError> {
        let text = std::fs::read_to_string(path).map_err(|error| MdcError::Read {
            path: path.to_path_buf(),
            error,
        })?;
        let format = |error| MdcError::Format {
            path: path.to_path_buf(),
            error,
        };
        // Entries in file order, repeats kept (a map would keep the last without a word).
        let entries: Entries = serde_json::from_str(&text).map_err(format)?;
        let mut map = HashMap::new();
        for (key, value) in entries.0 {
            if !(value.is_finite() && value > 0.0 && value <= 180.0) {
                return Err(MdcError::Value {
                    path: path.to_path_buf(),
                    key,
                    value,
                });
            }
            let known = key.split_once('/').and_then(|(protocol, measure)| {
                let p = protocols::find(protocol)?;
                p.measure_named(measure)
                    .map(|m| format!("{}/{}", p.id, m.name))
            });
            let Some(canonical) = known else {
                let all: Vec<String> = protocols::ALL
                    .iter()
                    .flat_map(|p| {
                        p.measures
                            .iter()
                            .map(move |m| format!("{}/{}", p.id, m.name))
                    })
                    .collect();
                return Err(MdcError::Unknown {
                    path: path.to_path_buf(),
                    key,
                    known: all.join(", "),
                });
            };
            if map.insert(canonical.clone(), value).is_some() {
                return Err(MdcError::Twice {
                    path: path.to_path_buf(),
                    key: canonical,
                });
            }
        }
        Ok(MdcOverrides(map))
    }
}

/// A JSON object's entries in order, a key given twice kept twice.
struct Entries(Vec<(String, f32)>);

impl<'de> serde::Deserialize<'de> for Entries {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Entries;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of \"protocol/measure\": degrees")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Entries, A::Error> {
                let mut out = Vec::new();
                while let Some(entry) = map.next_entry::<String, f32>()? {
                    out.push(entry);
                }
                Ok(Entries(out))
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}

/// What a change means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Improved,
    NoDetectableChange,
    Declined,
    /// No MDC is known for this measure.
    NotJudged,
    /// One recording (the same file, by content hash) is among the trials of both sessions:
    /// the sessions cannot be told apart by it, so no verdict is given.
    SameRecording,
    /// The sessions were taken in date order, and their dates (or labels) do not confirm that
    /// the first came first: a change of the wrong sign would look like any other.
    OrderUnknown,
    /// The sessions' results were measured with other settings (`--hold-s`, `--band-deg`,
    /// `--min-confidence`): their difference is partly the settings'.
    OtherSettings,
    /// The sessions' results were read by other pose models (Thunder and Lightning, as the
    /// clinic app's live measuring and its uploads do by default): the models place keypoints
    /// differently, by degrees, so their difference is partly the models'.
    OtherModels,
}

impl Verdict {
    pub fn text(self) -> &'static str {
        match self {
            Verdict::Improved => "improved",
            Verdict::NoDetectableChange => "no detectable change",
            Verdict::Declined => "declined",
            Verdict::NotJudged => "not judged (no MDC known)",
            Verdict::SameRecording => {
                "not judged: the same recording is in both sessions (uploaded or analysed twice?)"
            }
            Verdict::OtherSettings => {
                "not judged: measured with other settings (hold, band or keypoint confidence)"
            }
            Verdict::OtherModels => {
                "not judged: measured with other pose models (Thunder and Lightning read angles differently): measure both sessions with one (in the clinic app: both live, or both uploaded)"
            }
            Verdict::OrderUnknown => {
                "not judged: which session came first is in doubt (dates or labels)"
            }
        }
    }
}

/// One measure of one side, before against after.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub protocol: String,
    pub measure: String,
    pub side: Side,
    /// Mean of the session's trials, degrees.
    pub before_deg: f32,
    pub after_deg: f32,
    /// After minus before as printed: the difference of the means rounded to 0.1, degrees
    /// (so that the printed figures add up; it may differ from `after_deg - before_deg` by
    /// 0.1).
    pub change_deg: f32,
    pub mdc95_deg: Option<f32>,
    /// Where the MDC comes from.
    pub mdc_source: String,
    pub verdict: Verdict,
    pub before_trials: usize,
    pub after_trials: usize,
    /// The lowest grade among the trials of both sessions: a verdict from fair trials (a trunk
    /// propped up, a far leg unseen) is shown as such, not as one from good ones.
    pub lowest_quality: Quality,
}

/// A measure of a session: (protocol, measure, side).
pub type Key = (String, String, Side);

/// Trial values per (protocol, measure, side) of a session; trials without a result are left out,
/// and so are repeats of one recording (the same part of the same source file: a file analysed
/// twice is one trial, and counting it twice would make the measure look perfectly repeatable),
/// and trials that repeat another's result, peak and hold (`is_copy`): copies of one recording
/// whose bytes differ (a CSV saved again with other line endings, two overlapping trims of one
/// video) gave an SEM of 0.0 and an MDC of 0.0.
pub fn counted_trials(session: &Session) -> BTreeMap<Key, Vec<f32>> {
    per_trial(&kept_trials(session), |m| m.value_deg)
}

/// The results [`counted_trials`] counts, per measure, each measure's in the session's order.
type Kept<'a> = BTreeMap<Key, Vec<&'a super::StoredMeasurement>>;

/// The results [`counted_trials`] counts (see [`Kept`]).
fn kept_trials(session: &Session) -> Kept<'_> {
    let mut seen: BTreeMap<Key, Vec<Part>> = BTreeMap::new();
    let mut kept: BTreeMap<Key, Vec<&super::StoredMeasurement>> = BTreeMap::new();
    for m in &session.measurements {
        let key = (m.protocol.clone(), m.measure.clone(), m.side);
        if let Some(sha) = &m.source_sha256 {
            let parts = seen.entry(key.clone()).or_default();
            if parts
                .iter()
                .any(|(s, span)| s == sha && spans_alike(*span, m.source_span_s))
            {
                continue;
            }
            parts.push((sha.clone(), m.source_span_s));
        }
        if m.value_deg.is_some() {
            let others = kept.entry(key).or_default();
            if !others.iter().any(|other| is_copy(other, m)) {
                others.push(m);
            }
        }
    }
    kept
}

/// Whether two results of one session are one recording read twice: the same result and peak
/// to 0.05 deg (as stored, to 0.01) and the same hold to 0.01 s. Two genuine trials agree on
/// one of these now and then (a result within 0.05 deg about once in fifty pairs), on all three
/// practically never; copies agree on all three.
fn is_copy(a: &super::StoredMeasurement, b: &super::StoredMeasurement) -> bool {
    let close = |x: Option<f32>, y: Option<f32>| match (x, y) {
        (Some(x), Some(y)) => (x - y).abs() < 0.05,
        (None, None) => true,
        _ => false,
    };
    close(a.value_deg, b.value_deg)
        && close(a.peak_deg, b.peak_deg)
        && (a.hold_s - b.hold_s).abs() < 0.01
}

/// The lowest grade of the trials with a result per (protocol, measure, side) of a session.
fn lowest_quality(session: &Session) -> BTreeMap<Key, Quality> {
    let mut out: BTreeMap<Key, Quality> = BTreeMap::new();
    for m in session
        .measurements
        .iter()
        .filter(|m| m.value_deg.is_some())
    {
        let lowest = out
            .entry((m.protocol.clone(), m.measure.clone(), m.side))
            .or_insert(m.quality);
        *lowest = (*lowest).max(m.quality);
    }
    out
}

/// Per measure, what `of` reads from each counted result, where it has it.
fn per_trial<T>(
    kept: &Kept,
    of: impl Fn(&super::StoredMeasurement) -> Option<T>,
) -> BTreeMap<Key, Vec<T>> {
    kept.iter()
        .map(|(key, trials)| (key.clone(), trials.iter().filter_map(|m| of(m)).collect()))
        .collect()
}

/// The pose models (their names, without the file's hash) that read each measure's counted
/// results; results from keypoints given (no model run) have none.
fn models(kept: &Kept) -> BTreeMap<Key, BTreeSet<String>> {
    per_trial(kept, |m| {
        let model = m.model.as_deref()?;
        Some(model.split('@').next().unwrap_or(model).to_string())
    })
    .into_iter()
    .map(|(key, names)| (key, names.into_iter().collect()))
    .collect()
}

/// A part of a recording: its content hash and, for a trial cut from it, its span (seconds).
type Part = (String, Option<[f64; 2]>);

/// The parts of recordings behind each (protocol, measure, side) of a session's results.
fn recordings(session: &Session) -> BTreeMap<Key, Vec<Part>> {
    let mut out: BTreeMap<Key, Vec<Part>> = BTreeMap::new();
    for m in &session.measurements {
        if let (Some(sha), Some(_)) = (&m.source_sha256, m.value_deg) {
            out.entry((m.protocol.clone(), m.measure.clone(), m.side))
                .or_default()
                .push((sha.clone(), m.source_span_s));
        }
    }
    out
}

/// How two sessions' dates order them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionOrder {
    /// The first took place before the second.
    Before,
    /// The first took place after the second.
    After,
    /// The dates cannot tell.
    Unknown,
}

/// How the dates of sessions `a` and `b` order them. A date given as a day alone is stored at
/// midnight UTC and stands for the person's own calendar day, which is that UTC day only in
/// some time zone from UTC−12 to UTC+14 (see [`super::on_day_somewhere`]): two such days order
/// their sessions only when they differ, and a day against a time only when the time falls
/// outside every time zone's version of that day. Two times order their sessions unless equal.
pub fn session_order(a: &Session, b: &Session) -> SessionOrder {
    dates_order(&a.started_at, &b.started_at)
}

/// [`session_order`] of two stored dates.
fn dates_order(a: &str, b: &str) -> SessionOrder {
    let (day_only, day) = (super::is_day_alone, super::day_of);
    let by = |o: std::cmp::Ordering| match o {
        std::cmp::Ordering::Less => SessionOrder::Before,
        std::cmp::Ordering::Greater => SessionOrder::After,
        std::cmp::Ordering::Equal => SessionOrder::Unknown,
    };
    match (day_only(a), day_only(b)) {
        (true, true) => by(day(a).cmp(day(b))),
        (true, false) if super::on_day_somewhere(b, day(a)) => SessionOrder::Unknown,
        (false, true) if super::on_day_somewhere(a, day(b)) => SessionOrder::Unknown,
        // Stored times are all `YYYY-MM-DDTHH:MM:SSZ`: as text they sort as times do.
        _ => by(a.cmp(b)),
    }
}

/// Why the first and the latest session by date (`first`, `last`) cannot be taken as before and
/// after, if they cannot: their dates do not order them (see [`session_order`]), or their labels
/// say the opposite ("after" dated before "before", "post-x" before "pre-x"). The verdicts of such a
/// pair are withheld ([`Verdict::OrderUnknown`]) unless a person names which is which.
pub fn order_doubt(first: &Session, last: &Session) -> Option<String> {
    // (Two sessions of one time, given or saved in the same second, are in doubt too: a batch
    // saves in the order of its file names.) Labels that say which came first ("before" and
    // "after" the same thing) settle dates that cannot: the history puts them in that order.
    let settled = match session_order(first, last) {
        SessionOrder::Before => true,
        SessionOrder::Unknown => labels_say_later(&last.label, &first.label) == Some(true),
        SessionOrder::After => false,
    };
    if !settled {
        return Some(format!(
            "the dates of \"{}\" ({}) and \"{}\" ({}) do not tell which came first",
            first.label,
            super::date_shown(&first.started_at),
            last.label,
            super::date_shown(&last.started_at)
        ));
    }
    (labels_say_later(&first.label, &last.label) == Some(true)).then(|| {
        format!(
            "\"{}\" is dated before \"{}\" ({} against {}): the labels say the opposite",
            first.label,
            last.label,
            super::day_of(&first.started_at),
            super::day_of(&last.started_at)
        )
    })
}

/// Whether two session labels say that `a` came later than `b`: `Some(true)` when `a` says
/// after and `b` before, `Some(false)` when `a` says before and `b` after, None when they say
/// nothing. A label says so by its first word ("after block 1", "post-treatment", "Pre",
/// "baseline"), about the same thing as the other or bare: "post-treatment" and
/// "pre-treatment", "after" and "baseline"; not "Post-op week 1" and "Pre-discharge", nor
/// "Postural".
fn labels_say_later(a: &str, b: &str) -> Option<bool> {
    let split = |label: &str| {
        let label = label.trim().to_lowercase();
        let at = label
            .find(|c: char| !c.is_alphanumeric())
            .unwrap_or(label.len());
        let rest = label[at..]
            .trim_start_matches(|c: char| !c.is_alphanumeric())
            .to_string();
        (label[..at].to_string(), rest)
    };
    let says = |word: &str| {
        if ["after", "post", "follow"].contains(&word) {
            Some(true)
        } else if ["before", "pre", "baseline", "initial"].contains(&word) {
            Some(false)
        } else {
            None
        }
    };
    let ((a_word, a_rest), (b_word, b_rest)) = (split(a), split(b));
    let about_the_same = a_rest == b_rest
        || a_rest.is_empty()
        || b_rest.is_empty()
        || a_word == "follow"
        || b_word == "follow";
    match (says(&a_word), says(&b_word)) {
        (Some(a_after), Some(b_after)) if a_after != b_after && about_the_same => Some(a_after),
        _ => None,
    }
}

/// Puts sessions in the order they took place: by date, and sessions whose dates cannot order
/// them (one day alone twice, a day alone and a time of that day, one second twice) in the order
/// their labels say ("before" ahead of "after"), else as saved. `sessions` come sorted by date;
/// `date` and `label` read an item's.
pub(crate) fn order_ties_by_labels<T>(
    sessions: &mut [T],
    date: impl Fn(&T) -> &str,
    label: impl Fn(&T) -> &str,
) {
    // An insertion sort: a pair is swapped only when adjacent, its dates cannot order it, and
    // its labels say the second came first.
    for i in 1..sessions.len() {
        let mut j = i;
        while j > 0
            && dates_order(date(&sessions[j - 1]), date(&sessions[j])) == SessionOrder::Unknown
            && labels_say_later(label(&sessions[j - 1]), label(&sessions[j])) == Some(true)
        {
            sessions.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// Why the first session of `sessions` (in date order) cannot be taken as the first: another
/// session's date and labels do not put it after the first. The before of a default comparison
/// is then in doubt (a second session dated by the baseline's day alone, its label silent, was
/// taken as the baseline).
pub fn first_in_doubt(sessions: &[Session]) -> Option<String> {
    let (first, others) = sessions.split_first()?;
    others.iter().find_map(|s| {
        order_doubt(first, s).map(|doubt| format!("which session came first is in doubt: {doubt}"))
    })
}

/// Why the latest session of `sessions` (in date order) cannot be taken as the latest (see
/// [`first_in_doubt`]).
pub fn last_in_doubt(sessions: &[Session]) -> Option<String> {
    let (last, others) = sessions.split_last()?;
    others.iter().find_map(|s| {
        order_doubt(s, last)
            .map(|doubt| format!("which session is the latest is in doubt: {doubt}"))
    })
}

/// Why the first and the latest of `sessions` (in date order) cannot be taken as before and
/// after: their own order is in doubt ([`order_doubt`]), or another session may have come before
/// the first or after the latest. None for fewer than two sessions.
pub fn history_doubt(sessions: &[Session]) -> Option<String> {
    let (first, last) = (sessions.first()?, sessions.last()?);
    if sessions.len() < 2 {
        return None;
    }
    order_doubt(first, last)
        .or_else(|| first_in_doubt(sessions))
        .or_else(|| last_in_doubt(sessions))
}

/// Withholds every verdict (see [`order_doubt`]).
pub fn withhold_verdicts(comparisons: &mut [Comparison]) {
    for c in comparisons {
        c.verdict = Verdict::OrderUnknown;
    }
}

/// Compares every measure found in both sessions.
pub fn compare(before: &Session, after: &Session, overrides: &MdcOverrides) -> Vec<Comparison> {
    let (b_kept, a_kept) = (kept_trials(before), kept_trials(after));
    let (b, a) = (
        per_trial(&b_kept, |m| m.value_deg),
        per_trial(&a_kept, |m| m.value_deg),
    );
    let (b_recordings, a_recordings) = (recordings(before), recordings(after));
    // The settings each measure's counted results were measured with, where they were kept.
    let (b_settings, a_settings) = (
        per_trial(&b_kept, |m| m.settings),
        per_trial(&a_kept, |m| m.settings),
    );
    let (b_models, a_models) = (models(&b_kept), models(&a_kept));
    let (b_quality, a_quality) = (lowest_quality(before), lowest_quality(after));
    let mut out = Vec::new();
    for (key, before_values) in &b {
        let Some(after_values) = a.get(key) else {
            continue;
        };
        let (protocol, measure, side) = key;
        let definition = protocols::find(protocol).and_then(|p| p.measure_named(measure));
        // Pooled within-session variance over the sessions that repeated the trial.
        let pooled: Vec<(f32, usize)> = [
            sample_variance(before_values),
            sample_variance(after_values),
        ]
        .into_iter()
        .flatten()
        .collect();
        let dof: usize = pooled.iter().map(|p| p.1).sum();
        let own = (dof > 0).then(|| {
            let sem = (pooled.iter().map(|(v, d)| v * *d as f32).sum::<f32>() / dof as f32).sqrt();
            (
                1.96 * std::f32::consts::SQRT_2 * sem,
                format!(
                    "gonio's own: within-session SEM {sem:.1} deg from {} trials",
                    before_values.len() + after_values.len()
                ),
            )
        });
        let external = overrides
            .0
            .get(&format!("{protocol}/{measure}"))
            .map(|&v| (v, "configuration file".to_string()))
            .or_else(|| {
                definition
                    .and_then(|d| d.mdc95)
                    .map(|(v, source)| (v, source.to_string()))
            });
        // From fewer trials than MIN_OWN_DOF gonio's own counts only when it is the larger: two
        // trials that happen to agree say nothing, but two that disagree by 34 deg say that
        // the session's mean cannot be trusted to the published figure.
        let own = own.filter(|(own, _)| {
            dof >= MIN_OWN_DOF
                || external
                    .as_ref()
                    .is_some_and(|(external, _)| own > external)
        });
        let (mdc, source) = match (own, external) {
            (Some((own, own_source)), Some((external, external_source))) => {
                if own > external {
                    (
                        Some(own),
                        format!("{own_source} (above {external:.1} deg: {external_source})"),
                    )
                } else {
                    (
                        Some(external),
                        format!("{external_source} (gonio's own from repeated trials is {own:.1} deg, but cannot see the error between sessions)"),
                    )
                }
            }
            (Some((own, source)), None) | (None, Some((own, source))) => (Some(own), source),
            (None, None) if dof > 0 => (
                None,
                "none published, and too few repeated trials for gonio to measure its own: \
                 repeat three trials in each session"
                    .to_string(),
            ),
            (None, None) => (
                None,
                "none published; repeat three trials in each session to let gonio measure its own"
                    .to_string(),
            ),
        };
        // Judged as shown (to 0.1 deg, as printed): "+7.0, MDC 7.0: improved" read as a
        // contradiction, and so did "60.0 -> 67.0, +7.1" (the change of the unrounded means).
        let shown = |v: f32| format!("{v:.1}").parse::<f32>().unwrap_or(v);
        let (before_deg, after_deg) = (mean(before_values), mean(after_values));
        let change = shown(shown(after_deg) - shown(before_deg));
        let higher_is_better = definition.is_none_or(|d| d.higher_is_better);
        // One recording in both sessions: the same file, or a copy whose bytes differ (saved
        // again with other line endings, trimmed again) that gave the same result, peak and
        // hold (`is_copy`, as within a session).
        let same_file = b_recordings
            .get(key)
            .zip(a_recordings.get(key))
            .is_some_and(|(b, a)| {
                b.iter().any(|(b_sha, b_span)| {
                    a.iter()
                        .any(|(a_sha, a_span)| a_sha == b_sha && spans_alike(*a_span, *b_span))
                })
            });
        // Across sessions, also the same frames: a swing test's hold is always 0, and one
        // chance match of two genuine trials would withhold the whole verdict.
        let copied = b_kept.get(key).zip(a_kept.get(key)).is_some_and(|(b, a)| {
            b.iter().any(|b| {
                a.iter().any(|a| {
                    is_copy(a, b)
                        && (a.valid_frames, a.total_frames) == (b.valid_frames, b.total_frames)
                })
            })
        });
        let same_recording = same_file || copied;
        let other_settings = b_settings
            .get(key)
            .zip(a_settings.get(key))
            .is_some_and(|(b, a)| b.iter().any(|b| a.iter().any(|a| !a.alike(b))));
        // Any two trials by other models, within a session too (the SEM pooled across them).
        // (A model file converted again under the same name reads alike: only names count.)
        let other_models = b_models
            .get(key)
            .zip(a_models.get(key))
            .filter(|(b, a)| !b.is_empty() && !a.is_empty())
            .is_some_and(|(b, a)| b.len() > 1 || a.len() > 1 || b != a);
        let verdict = match mdc {
            _ if same_recording => Verdict::SameRecording,
            _ if other_settings => Verdict::OtherSettings,
            _ if other_models => Verdict::OtherModels,
            None => Verdict::NotJudged,
            Some(m) if shown(change.abs()) <= shown(m) => Verdict::NoDetectableChange,
            Some(_) if (change > 0.0) == higher_is_better => Verdict::Improved,
            Some(_) => Verdict::Declined,
        };
        out.push(Comparison {
            protocol: protocol.clone(),
            measure: measure.clone(),
            side: *side,
            before_deg,
            after_deg,
            change_deg: change,
            mdc95_deg: mdc,
            mdc_source: source,
            verdict,
            before_trials: before_values.len(),
            after_trials: after_values.len(),
            lowest_quality: [b_quality.get(key), a_quality.get(key)]
                .into_iter()
                .flatten()
                .copied()
                .max()
                .unwrap_or(Quality::Good),
        });
    }
    out
}

/// A measure with a result in one of two sessions only: it has no before/after verdict, and
/// saying so keeps it from vanishing from a comparison unnoticed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Uncompared {
    pub protocol: String,
    pub measure: String,
    pub side: Side,
    /// The session with a result.
    pub measured_in: String,
    /// The session without one.
    pub missing_from: String,
    /// True when that session measured it but every trial was refused (no result), false
    /// when it did not measure it at all.
    pub refused_there: bool,
}

impl std::fmt::Display for Uncompared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} {}: a result in {} only; {} {}",
            self.protocol,
            self.side.name(),
            self.measure,
            self.measured_in,
            self.missing_from,
            if self.refused_there {
                "measured it without a result"
            } else {
                "did not measure it"
            }
        )
    }
}

/// The measures with a result in exactly one of `before` and `after`, before's first, each in
/// the order of [`compare`]'s keys.
pub fn uncompared(before: &Session, after: &Session) -> Vec<Uncompared> {
    let (b, a) = (counted_trials(before), counted_trials(after));
    let tried = |session: &Session, key: &Key| {
        session
            .measurements
            .iter()
            .any(|m| m.protocol == key.0 && m.measure == key.1 && m.side == key.2)
    };
    let only = |has: &BTreeMap<Key, Vec<f32>>,
                lacks: &BTreeMap<Key, Vec<f32>>,
                measured_in: &Session,
                missing_from: &Session| {
        has.keys()
            .filter(|key| !lacks.contains_key(*key))
            .map(|key| Uncompared {
                protocol: key.0.clone(),
                measure: key.1.clone(),
                side: key.2,
                measured_in: measured_in.label.clone(),
                missing_from: missing_from.label.clone(),
                refused_there: tried(missing_from, key),
            })
            .collect::<Vec<_>>()
    };
    let mut out = only(&b, &a, before, after);
    out.extend(only(&a, &b, after, before));
    out
}

/// Left against right in one session: (protocol, measure, left mean, right mean), degrees.
pub fn asymmetry(session: &Session) -> Vec<(String, String, f32, f32)> {
    let t = counted_trials(session);
    let mut out = Vec::new();
    for ((protocol, measure, side), left) in &t {
        if *side != Side::Left {
            continue;
        }
        if let Some(right) = t.get(&(protocol.clone(), measure.clone(), Side::Right)) {
            out.push((protocol.clone(), measure.clone(), mean(left), mean(right)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::Quality;
    use crate::store::StoredMeasurement;

    fn session(label: &str, values: &[(Side, f32)], protocol: &str, measure: &str) -> Session {
        Session {
            label: label.into(),
            started_at: String::new(),
            notes: None,
            measurements: values
                .iter()
                .map(|&(side, v)| StoredMeasurement {
                    protocol: protocol.into(),
                    measure: measure.into(),
                    side,
                    value_deg: Some(v),
                    peak_deg: None,
                    hold_s: 2.0,
                    valid_frames: 1,
                    total_frames: 1,
                    quality: Quality::Good,
                    warnings: vec![],
                    model: None,
                    source: String::new(),
                    source_sha256: None,
                    source_span_s: None,
                    gonio_version: String::new(),
                    evidence_path: None,
                    picture: None,
                    evidence_sha256: None,
                    settings: None,
                    written_files: Vec::new(),
                })
                .collect(),
        }
    }

    #[test]
    fn verdicts_follow_the_published_mdc_and_direction() {
        let before = session(
            "b",
            &[(Side::Left, 60.0), (Side::Right, 70.0)],
            "slr",
            "hip_flexion",
        );
        let after = session(
            "a",
            &[(Side::Left, 69.0), (Side::Right, 72.0)],
            "slr",
            "hip_flexion",
        );
        let c = compare(&before, &after, &MdcOverrides::default());
        assert_eq!(c[0].verdict, Verdict::Improved, "{c:?}"); // +9 > 7
        assert_eq!(c[1].verdict, Verdict::NoDetectableChange); // +2
        assert_eq!(c[0].lowest_quality, Quality::Good);
        // A fair trial in either session is shown with the verdict it makes.
        let mut propped = after.clone();
        propped.measurements[0].quality = Quality::Fair;
        let c = compare(&before, &propped, &MdcOverrides::default());
        assert_eq!(c[0].verdict, Verdict::Improved);
        assert_eq!(c[0].lowest_quality, Quality::Fair);
        assert_eq!(c[1].lowest_quality, Quality::Good);
        // At the boundary as shown: +7.04 prints +7.0, as the MDC of 7.0 does: within it.
        let after = session("a", &[(Side::Left, 67.04)], "slr", "hip_flexion");
        let c = compare(&before, &after, &MdcOverrides::default());
        assert_eq!(c[0].mdc95_deg, Some(7.0), "{c:?}");
        assert_eq!(c[0].verdict, Verdict::NoDetectableChange, "{c:?}");
        // 7.25 prints 7.2 (ties to even): judged as printed, within an MDC of 7.2.
        let overrides = MdcOverrides([("slr/hip_flexion".to_string(), 7.2)].into_iter().collect());
        let after = session("a", &[(Side::Left, 67.25)], "slr", "hip_flexion");
        let c = compare(&before, &after, &overrides);
        assert_eq!(format!("{:+.1}", c[0].change_deg), "+7.2", "{c:?}");
        assert_eq!(c[0].verdict, Verdict::NoDetectableChange, "{c:?}");
        // The change is the printed means' ("60.0 -> 67.0, +7.1: improved" did not add up).
        for (before, after, change, verdict) in [
            (59.96, 67.04, "+7.0", Verdict::NoDetectableChange),
            (60.04, 67.06, "+7.1", Verdict::Improved),
        ] {
            let c = &compare(
                &session("b", &[(Side::Left, before)], "slr", "hip_flexion"),
                &session("a", &[(Side::Left, after)], "slr", "hip_flexion"),
                &MdcOverrides::default(),
            )[0];
            assert_eq!(format!("{:+.1}", c.change_deg), change, "{c:?}");
            assert_eq!(c.verdict, verdict, "{c:?}");
        }
        // For the knee-extension deficit, lower is better.
        let before = session("b", &[(Side::Left, 30.0)], "ake", "knee_extension_deficit");
        let after = session("a", &[(Side::Left, 40.0)], "ake", "knee_extension_deficit");
        assert_eq!(
            compare(&before, &after, &MdcOverrides::default())[0].verdict,
            Verdict::Declined
        );
        // Toe touch has no published MDC.
        let before = session("b", &[(Side::Left, 90.0)], "toe-touch", "hip_flexion");
        let after = session("a", &[(Side::Left, 99.0)], "toe-touch", "hip_flexion");
        assert_eq!(
            compare(&before, &after, &MdcOverrides::default())[0].verdict,
            Verdict::NotJudged
        );
        let overrides = MdcOverrides(
            [("toe-touch/hip_flexion".to_string(), 5.0)]
                .into_iter()
                .collect(),
        );
        assert_eq!(
            compare(&before, &after, &overrides)[0].verdict,
            Verdict::Improved
        );
    }

    /// A measure taken in one session only used to vanish from the before/after table.
    #[test]
    fn a_measure_in_one_session_only_is_named() {
        let mut before = session(
            "week 1",
            &[(Side::Left, 60.0), (Side::Right, 70.0)],
            "slr",
            "hip_flexion",
        );
        let mut after = session("week 3", &[(Side::Left, 64.0)], "slr", "hip_flexion");
        // The right side was tried in week 3 and refused.
        let mut refused = after.measurements[0].clone();
        refused.side = Side::Right;
        refused.value_deg = None;
        after.measurements.push(refused);
        // Thomas test in week 3 only.
        after
            .measurements
            .extend(session("x", &[(Side::Left, 5.0)], "thomas", "hip_extension").measurements);
        // Hip extension in week 1 only, and never tried after.
        before.measurements.extend(
            session("x", &[(Side::Left, 20.0)], "hip-extension", "hip_extension").measurements,
        );
        let compared = compare(&before, &after, &MdcOverrides::default());
        assert_eq!(compared.len(), 1, "{compared:?}");
        let missing = uncompared(&before, &after);
        let named: Vec<_> = missing
            .iter()
            .map(|u| {
                (
                    u.protocol.as_str(),
                    u.side,
                    u.measured_in.as_str(),
                    u.missing_from.as_str(),
                    u.refused_there,
                )
            })
            .collect();
        assert_eq!(
            named,
            [
                ("hip-extension", Side::Left, "week 1", "week 3", false),
                ("slr", Side::Right, "week 1", "week 3", true),
                ("thomas", Side::Left, "week 3", "week 1", false),
            ]
        );
        assert_eq!(
            missing[1].to_string(),
            "slr right hip_flexion: a result in week 1 only; week 3 measured it without a result"
        );
        assert!(uncompared(&before, &before).is_empty());
    }

    /// `SLR/hip_flexion` was accepted and then never matched (the published 7 deg used without
    /// a word); a key given twice kept the last.
    #[test]
    fn an_mdc_file_is_read_by_the_protocols_own_names_and_refuses_repeats() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("mdc.json");
        let load = |text: &str| {
            std::fs::write(&file, text).unwrap();
            MdcOverrides::load(&file)
        };
        let read = load(r#"{"SLR/hip_flexion": 20}"#).unwrap();
        assert_eq!(read.0.get("slr/hip_flexion"), Some(&20.0));
        let before = session("b", &[(Side::Left, 60.0)], "slr", "hip_flexion");
        let after = session("a", &[(Side::Left, 70.0)], "slr", "hip_flexion");
        let c = &compare(&before, &after, &read)[0];
        assert_eq!(c.mdc95_deg, Some(20.0));
        assert_eq!(c.verdict, Verdict::NoDetectableChange);
        assert!(matches!(
            load(r#"{"slr/hip_flexion": 15, "slr/hip_flexion": 1}"#),
            Err(MdcError::Twice { .. })
        ));
        assert!(matches!(
            load(r#"{"slr/hip_flexion": 15, "SLR/hip_flexion": 1}"#),
            Err(MdcError::Twice { .. })
        ));
        assert!(matches!(
            load(r#"{"slr/hip_flexion": -1}"#),
            Err(MdcError::Value { .. })
        ));
        assert!(matches!(
            load(r#"{"slr/Hip_flexion": 5}"#),
            Err(MdcError::Unknown { .. })
        ));
        assert!(matches!(load("[1, 2]"), Err(MdcError::Format { .. })));
    }

    fn trials_of(values: &[f32]) -> Vec<(Side, f32)> {
        values.iter().map(|&v| (Side::Left, v)).collect()
    }

    /// The same file uploaded as "before" and as "after" said "no detectable change".
    #[test]
    fn one_recording_in_both_sessions_is_not_judged() {
        let with_sha = |mut s: Session, shas: &[&str]| {
            for (m, sha) in s.measurements.iter_mut().zip(shas) {
                m.source_sha256 = Some(sha.to_string());
            }
            s
        };
        let before = with_sha(
            session("b", &trials_of(&[60.0, 70.0]), "slr", "hip_flexion"),
            &["aa", "bb"],
        );
        let after = with_sha(
            session("a", &trials_of(&[62.0, 80.0]), "slr", "hip_flexion"),
            &["cc", "bb"],
        );
        let c = &compare(&before, &after, &MdcOverrides::default())[0];
        assert_eq!(c.verdict, Verdict::SameRecording, "{c:?}");
        let after = with_sha(
            session("a", &trials_of(&[62.0, 80.0]), "slr", "hip_flexion"),
            &["cc", "dd"],
        );
        let c = &compare(&before, &after, &MdcOverrides::default())[0];
        assert_ne!(c.verdict, Verdict::SameRecording, "{c:?}");
        // A copy whose bytes differ (saved again with other line endings) has another hash,
        // but the same result, peak and hold: "before" copied into "after" pulled the mean
        // towards "no detectable change".
        let mut copy = with_sha(
            session("a", &trials_of(&[70.0, 80.0]), "slr", "hip_flexion"),
            &["cc", "ff"],
        );
        let c = &compare(&before, &copy, &MdcOverrides::default())[0];
        assert_eq!(c.verdict, Verdict::SameRecording, "{c:?}");
        // The same result with another hold, or from other frames, is another trial.
        copy.measurements[0].hold_s = 3.5;
        let c = &compare(&before, &copy, &MdcOverrides::default())[0];
        assert_ne!(c.verdict, Verdict::SameRecording, "{c:?}");
        copy.measurements[0].hold_s = 2.0;
        copy.measurements[0].total_frames = 300;
        let c = &compare(&before, &copy, &MdcOverrides::default())[0];
        assert_ne!(c.verdict, Verdict::SameRecording, "{c:?}");
    }

    /// A video replayed live holds several trials: each counts, and before and after cut from
    /// one long recording are not "the same recording".
    #[test]
    fn trials_cut_from_one_recording_count_apart() {
        let cut = |mut s: Session, spans: &[[f64; 2]]| {
            for (m, span) in s.measurements.iter_mut().zip(spans) {
                m.source_sha256 = Some("ee".repeat(32));
                m.source_span_s = Some(*span);
            }
            s
        };
        let before = cut(
            session(
                "b",
                &trials_of(&[60.0, 61.0, 60.5]),
                "toe-touch",
                "hip_flexion",
            ),
            &[[0.0, 10.0], [10.0, 20.0], [20.0, 30.0]],
        );
        let after = cut(
            session(
                "a",
                &trials_of(&[70.0, 71.0, 70.5]),
                "toe-touch",
                "hip_flexion",
            ),
            &[[300.0, 310.0], [310.0, 320.0], [320.0, 330.0]],
        );
        let c = &compare(&before, &after, &MdcOverrides::default())[0];
        assert_eq!((c.before_trials, c.after_trials), (3, 3), "{c:?}");
        assert_eq!(c.verdict, Verdict::Improved, "{c:?}");
        // The same trial saved twice in a session (an older database) counts once, and the
        // same part in both sessions is one recording.
        let mut twice = before.clone();
        twice.measurements.push(twice.measurements[0].clone());
        let c = &compare(&twice, &after, &MdcOverrides::default())[0];
        assert_eq!(c.before_trials, 3, "{c:?}");
        let c = &compare(&before, &before, &MdcOverrides::default())[0];
        assert_eq!(c.verdict, Verdict::SameRecording, "{c:?}");
    }

    /// Labels that say which came first order sessions of one date; a first or latest session
    /// tied with another puts the default pair in doubt.
    #[test]
    fn labels_order_a_tie_and_a_tie_at_either_end_is_doubted() {
        let at = |label: &str, started_at: &str| Session {
            started_at: started_at.into(),
            ..session(label, &[], "slr", "hip_flexion")
        };
        let day = |label: &str, d: &str| at(label, &format!("{d}T00:00:00Z"));
        // One visit, "after" analysed first: the labels put "before" first, and settle it.
        let mut visit = vec![day("after", "2026-11-20"), day("Before", "2026-11-20")];
        order_ties_by_labels(&mut visit, |s| &s.started_at, |s| &s.label);
        assert_eq!(visit[0].label, "Before");
        assert_eq!(history_doubt(&visit), None);
        // Labels that say nothing: in doubt, whatever the order saved.
        let mut visit = vec![day("T1", "2026-11-20"), day("T0", "2026-11-20")];
        order_ties_by_labels(&mut visit, |s| &s.started_at, |s| &s.label);
        assert_eq!(visit[0].label, "T1");
        assert!(history_doubt(&visit).is_some());
        // A day alone against a time of that day (an upload and a live session): alike.
        let mut mixed = vec![
            day("post-treatment", "2026-11-20"),
            at("pre-treatment", "2026-11-20T10:00:00Z"),
        ];
        order_ties_by_labels(&mut mixed, |s| &s.started_at, |s| &s.label);
        assert_eq!(mixed[0].label, "pre-treatment");
        assert_eq!(history_doubt(&mixed), None);
        // A baseline saved after a session of its day that its label puts after it: first.
        let mut three = vec![
            day("post-stretch", "2026-01-05"),
            day("baseline", "2026-01-05"),
            day("week 6", "2026-02-16"),
        ];
        order_ties_by_labels(&mut three, |s| &s.started_at, |s| &s.label);
        assert_eq!(three[0].label, "baseline");
        assert_eq!(history_doubt(&three), None);
        // The first tied with a session of its day, the labels silent: which is the first is in
        // doubt, though the first and the latest are days apart.
        let three = [
            day("visit 1a", "2026-01-05"),
            day("visit 1b", "2026-01-05"),
            day("week 6", "2026-02-16"),
        ];
        assert_eq!(order_doubt(&three[0], &three[2]), None);
        assert!(first_in_doubt(&three).is_some());
        assert!(history_doubt(&three).is_some());
        let three = [
            day("baseline", "2026-01-05"),
            day("week 3", "2026-01-26"),
            day("week 6", "2026-02-16"),
        ];
        assert_eq!(history_doubt(&three), None);
        // The latest tied likewise.
        let three = [
            day("baseline", "2026-01-05"),
            day("week 6", "2026-02-16"),
            day("week 6 again", "2026-02-16"),
        ];
        assert!(last_in_doubt(&three).is_some());
        assert_eq!(first_in_doubt(&three), None);
        // One session: nothing to doubt.
        assert_eq!(history_doubt(&three[..1]), None);
    }

    /// A verdict of the wrong sign looks like any other: the first and latest by date are
    /// before and after only when their dates order them and their labels do not disagree.
    #[test]
    fn sessions_whose_dates_do_not_order_them_are_not_judged() {
        let at = |label: &str, started_at: &str| Session {
            started_at: started_at.into(),
            ..session(label, &[], "slr", "hip_flexion")
        };
        let day = |label: &str, d: &str| at(label, &format!("{d}T00:00:00Z"));
        use SessionOrder::*;
        // Days alone: ordered when they differ.
        assert_eq!(
            session_order(&day("a", "2026-11-19"), &day("b", "2026-11-20")),
            Before
        );
        assert_eq!(
            session_order(&day("a", "2026-11-20"), &day("b", "2026-11-20")),
            Unknown
        );
        // Sydney's morning of the 4th is UTC's 3rd: that day and "now" cannot be ordered.
        let morning = at("after", "2026-12-03T11:20:00Z");
        assert_eq!(
            session_order(&day("before", "2026-12-04"), &morning),
            Unknown
        );
        assert_eq!(
            session_order(&day("before", "2026-12-01"), &morning),
            Before
        );
        assert_eq!(session_order(&morning, &day("later", "2026-12-06")), Before);
        // Times: ordered unless equal.
        let later = at("b", "2026-12-03T11:21:00Z");
        assert_eq!(session_order(&morning, &later), Before);
        assert_eq!(session_order(&later, &morning), After);
        assert_eq!(session_order(&morning, &morning.clone()), Unknown);

        assert!(order_doubt(&day("after", "2026-11-20"), &day("before", "2026-11-20")).is_some());
        // Saved in the same second (a batch saves in the order of its file names), or given
        // the same time: in doubt.
        assert!(order_doubt(&morning, &at("b", "2026-12-03T11:20:00Z")).is_some());
        assert!(order_doubt(&day("before", "2026-11-19"), &day("after", "2026-11-20")).is_none());
        // Dated apart, but the labels say the opposite (a batch run in alphabetical order).
        let doubt = order_doubt(&at("After stretch", "2026-12-03T09:00:00Z"), &later);
        assert!(doubt.is_none(), "\"b\" says nothing: {doubt:?}");
        let doubt = order_doubt(
            &at("after stretch", "2026-12-03T09:00:00Z"),
            &at("Before", "2026-12-03T09:01:00Z"),
        );
        assert!(doubt.is_some_and(|d| d.contains("labels say the opposite")));
        // Words that only begin alike say nothing.
        let doubt = order_doubt(
            &at("Post-op week 1", "2026-03-01T00:00:00Z"),
            &at("Pre-discharge", "2026-03-20T00:00:00Z"),
        );
        assert!(doubt.is_none(), "{doubt:?}");
        let labels = |first: &str, last: &str| {
            order_doubt(
                &at(first, "2026-03-01T09:00:00Z"),
                &at(last, "2026-03-02T09:00:00Z"),
            )
            .is_some()
        };
        for (first, last) in [
            ("post", "pre"),
            ("post-treatment", "pre-treatment"),
            ("Post stretch", "pre stretch"),
            ("after-stretch", "before-stretch"),
            ("follow-up", "baseline"),
            ("after", "initial"),
        ] {
            assert!(labels(first, last), "{first} before {last}");
        }
        for (first, last) in [
            ("Post-op week 1", "Pre-discharge"),
            ("Postural", "Prescription"),
            ("before", "after"),
        ] {
            assert!(!labels(first, last), "{first} before {last}");
        }
    }

    /// Thunder and Lightning place keypoints differently (on a side-view video, per-frame hip
    /// angles 8 to 16 deg apart at the 90th percentile): a session measured live (Lightning, the
    /// clinic app's default) against one uploaded (Thunder) was judged "improved".
    #[test]
    fn results_read_by_other_models_are_not_judged() {
        let with = |mut s: Session, models: &[Option<&str>]| {
            for (m, model) in s.measurements.iter_mut().zip(models.iter().cycle()) {
                m.model = model.map(str::to_string);
            }
            s
        };
        let (thunder, lightning) = (
            Some("movenet-thunder@sha256:b79bee3d"),
            Some("movenet-lightning@sha256:17fe42f6"),
        );
        let values = [(Side::Left, 60.0), (Side::Left, 61.0)];
        let before = with(session("b", &values, "slr", "hip_flexion"), &[thunder]);
        let after_values = [(Side::Left, 75.0), (Side::Left, 76.0)];
        let verdict = |after_models: &[Option<&str>]| {
            let after = with(
                session("a", &after_values, "slr", "hip_flexion"),
                after_models,
            );
            compare(&before, &after, &MdcOverrides::default())[0].verdict
        };
        assert_eq!(verdict(&[lightning]), Verdict::OtherModels);
        // One of the after session's trials by the other model: partly the models'.
        assert_eq!(verdict(&[thunder, lightning]), Verdict::OtherModels);
        // Both sessions mixed alike: still partly the models' (each session's mean, the SEM).
        let mixed = with(
            session("b", &values, "slr", "hip_flexion"),
            &[thunder, lightning],
        );
        let after = with(
            session("a", &after_values, "slr", "hip_flexion"),
            &[lightning, thunder],
        );
        assert_eq!(
            compare(&mixed, &after, &MdcOverrides::default())[0].verdict,
            Verdict::OtherModels
        );
        assert_eq!(verdict(&[thunder]), Verdict::Improved);
        // The same model converted again (another file hash) reads alike.
        assert_eq!(
            verdict(&[Some("movenet-thunder@sha256:0123")]),
            Verdict::Improved
        );
        // Keypoints given (no model run) are judged as before.
        assert_eq!(verdict(&[None]), Verdict::Improved);
        assert!(Verdict::OtherModels.text().contains("other pose models"));
    }

    /// The same stretch held 1 s reads higher than held 3 s: a changed `--hold-s` looked like
    /// progress.
    #[test]
    fn results_measured_with_other_settings_are_not_judged() {
        let with = |mut s: Session, hold_s: f64| {
            for m in &mut s.measurements {
                m.settings = Some(crate::protocols::Settings {
                    hold_s,
                    band_deg: 3.0,
                    min_confidence: 0.3,
                });
            }
            s
        };
        let before = with(
            session("b", &[(Side::Left, 60.0)], "slr", "hip_flexion"),
            3.0,
        );
        let after = with(
            session("a", &[(Side::Left, 70.0)], "slr", "hip_flexion"),
            1.0,
        );
        let c = &compare(&before, &after, &MdcOverrides::default())[0];
        assert_eq!(c.verdict, Verdict::OtherSettings, "{c:?}");
        let after = with(
            session("a", &[(Side::Left, 70.0)], "slr", "hip_flexion"),
            3.0,
        );
        let c = &compare(&before, &after, &MdcOverrides::default())[0];
        assert_eq!(c.verdict, Verdict::Improved, "{c:?}");
        // Results saved before settings were kept are judged as before.
        let after = session("a", &[(Side::Left, 70.0)], "slr", "hip_flexion");
        let c = &compare(&before, &after, &MdcOverrides::default())[0];
        assert_eq!(c.verdict, Verdict::Improved, "{c:?}");
    }

    #[test]
    fn repeated_trials_give_gonio_its_own_mdc() {
        // Toe touch has no published MDC: three trials in each session measure gonio's own.
        let before = session(
            "b",
            &trials_of(&[60.0, 62.0, 61.0]),
            "toe-touch",
            "hip_flexion",
        );
        let after = session(
            "a",
            &trials_of(&[66.0, 65.0, 64.0]),
            "toe-touch",
            "hip_flexion",
        );
        let c = &compare(&before, &after, &MdcOverrides::default())[0];
        // Pooled variance: (2 * 1.0 + 2 * 1.0) / 4 = 1.0 -> SEM 1.0 -> MDC 2.77.
        assert!((c.mdc95_deg.unwrap() - 2.77).abs() < 0.02, "{c:?}");
        assert!(c.mdc_source.starts_with("gonio's own"), "{c:?}");
        assert_eq!(c.verdict, Verdict::Improved);
        assert_eq!((c.before_trials, c.after_trials), (3, 3));
    }

    /// Two trials that happen to agree say nothing about the error: no MDC from them, so no
    /// verdict without a published one. Two that disagree widely say the mean is uncertain
    /// beyond the published figure.
    #[test]
    fn too_few_trials_give_no_mdc_of_their_own() {
        let before = session("b", &trials_of(&[60.0, 60.1]), "toe-touch", "hip_flexion");
        let after = session("a", &trials_of(&[63.0]), "toe-touch", "hip_flexion");
        let c = &compare(&before, &after, &MdcOverrides::default())[0];
        assert_eq!(c.mdc95_deg, None, "{c:?}");
        assert_eq!(c.verdict, Verdict::NotJudged);
        assert!(c.mdc_source.contains("too few repeated trials"), "{c:?}");
        // A straight-leg raise (published MDC 7): after trials 57.9 and 91.9 made +14.1
        // "improved".
        let before = session("b", &trials_of(&[59.8, 61.9]), "slr", "hip_flexion");
        let after = session("a", &trials_of(&[57.9, 91.9]), "slr", "hip_flexion");
        let c = &compare(&before, &after, &MdcOverrides::default())[0];
        assert!(c.mdc95_deg.unwrap() > 40.0, "{c:?}");
        assert!(c.mdc_source.starts_with("gonio's own"), "{c:?}");
        assert_eq!(c.verdict, Verdict::NoDetectableChange);
        // Agreeing, they leave the published figure.
        let after = session("a", &trials_of(&[75.0, 76.0]), "slr", "hip_flexion");
        let c = &compare(&before, &after, &MdcOverrides::default())[0];
        assert_eq!(c.mdc95_deg, Some(7.0), "{c:?}");
        assert_eq!(c.verdict, Verdict::Improved);
    }

    /// Copies of one recording whose bytes differ (other line endings, overlapping trims) read
    /// the same value: counted once, they give no MDC of zero.
    #[test]
    fn trials_of_one_value_count_once() {
        let before = session(
            "b",
            &trials_of(&[100.0, 100.0, 100.0]),
            "knee-to-chest",
            "hip_flexion",
        );
        let after = session(
            "a",
            &trials_of(&[103.0, 103.0, 103.0]),
            "knee-to-chest",
            "hip_flexion",
        );
        let c = &compare(&before, &after, &MdcOverrides::default())[0];
        assert_eq!((c.before_trials, c.after_trials), (1, 1), "{c:?}");
        assert_eq!(c.mdc95_deg, None, "{c:?}");
        assert_eq!(c.verdict, Verdict::NotJudged);
        // Genuine trials that happen to agree on the result (not on the peak and hold) both
        // count: the mean stays the mean of every trial.
        let mut genuine = session(
            "b",
            &trials_of(&[60.0, 60.04, 67.0]),
            "knee-to-chest",
            "hip_flexion",
        );
        genuine.measurements[1].peak_deg = Some(61.3);
        genuine.measurements[1].hold_s = 2.4;
        let c = &compare(&genuine, &after, &MdcOverrides::default())[0];
        assert_eq!(c.before_trials, 3, "{c:?}");
        assert!((c.before_deg - 62.35).abs() < 0.01, "{c:?}");
    }

    /// Consistent trials in one session do not shrink the published figure, which holds the
    /// error between sessions; widely scattered trials widen it.
    #[test]
    fn the_larger_of_gonios_own_and_the_published_mdc_counts() {
        let before = session("b", &trials_of(&[60.0, 60.5, 60.2]), "slr", "hip_flexion");
        let after = session("a", &trials_of(&[65.0, 65.3, 64.8]), "slr", "hip_flexion");
        let c = &compare(&before, &after, &MdcOverrides::default())[0];
        assert_eq!(c.mdc95_deg, Some(7.0), "{c:?}");
        assert_eq!(c.verdict, Verdict::NoDetectableChange, "+4.8 within 7");
        assert!(c
            .mdc_source
            .contains("cannot see the error between sessions"));
        let before = session("b", &trials_of(&[50.0, 70.0, 60.0]), "slr", "hip_flexion");
        let after = session("a", &trials_of(&[80.0, 62.0, 71.0]), "slr", "hip_flexion");
        let c = &compare(&before, &after, &MdcOverrides::default())[0];
        assert!(c.mdc95_deg.unwrap() > 20.0, "{c:?}");
        assert!(c.mdc_source.starts_with("gonio's own"), "{c:?}");
        assert_eq!(
            c.verdict,
            Verdict::NoDetectableChange,
            "+11 within the scatter"
        );
    }
}

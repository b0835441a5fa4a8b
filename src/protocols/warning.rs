//! Warnings on a result as values: what kind, which side, how many frames, the numbers. They
//! are rendered to words only at the edge ([`std::fmt::Display`]), so programs (`--json`, the
//! session store, the clinic app) can filter them by kind.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::angles::Side;
use crate::pose::PeopleSeen;

/// What a warning is about. The snake_case name is what `--json` and the session store carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningKind {
    /// There is no result; `detail` is the refusal's reason (also in
    /// [`super::Measurement::refusal`]).
    NoResult,
    /// The measured angle could not be computed in a share of frames; `detail` is the measure.
    AngleUnknown,
    /// A share of frames were not in the test's position (not counted); `detail` is the failing
    /// condition.
    OutOfPosition,
    /// The test's form was broken in a share of frames; `detail` is the condition, `value` the
    /// worst departure, degrees.
    FormBroken,
    /// A condition of the test could not be checked in a share of frames; `detail` says which.
    ConditionUnknown,
    /// The side's leg or the trunk pointed towards or away from the camera in a share of
    /// frames (not counted).
    Foreshortened,
    /// The side's thigh or shank, or the trunk, was read longer than its own length, or the
    /// thigh or shank jumped away and back, in a share of frames (a keypoint misplaced): those
    /// angles were left out.
    Misread,
    /// The side's heel was lifted in a share of frames (not counted): its ankle stood more than
    /// [`super::HEEL_LIFT_SHANKS`] above the floor where the foot stood (the lunge test keeps
    /// the heel down).
    HeelLifted,
    /// The camera saw the body obliquely; `value` is the left-right spacing, percent of the
    /// trunk length.
    Oblique,
    /// The model swapped left and right; `value` is the number of frames corrected.
    SidesSwapped,
    /// The face pointed against the body's facing direction in a share of frames.
    FacingUnclear,
    /// Which way the body faced was guessed: too few frames showed the face in profile or a bent
    /// knee (see [`crate::angles::AngleSeries::facing_guessed`]). The test's position and the
    /// sign of the angles against the trunk may be reversed.
    FacingGuessed,
    /// Several people were in view; `value` is the most in one frame, `share` the frames with
    /// more than one.
    SeveralPeople,
    /// The subject was chosen again (lost, picked by a click, or taken over by the person who
    /// took the test's position after a guess); `value` is how many times.
    ChosenAgain,
    /// The subject lock was ambiguous in a share of frames (bodies overlapping).
    LockAmbiguous,
    /// A lying test's angle against the picture's horizontal or the trunk line, measured while
    /// the trunk lay tilted from the picture's horizontal (see [`super::TILTED_TRUNK_DEG`]): a
    /// tilted camera, or raised shoulders; `value` is the tilt, degrees, positive with the
    /// shoulders higher in the picture; `detail` the angle in words ("thigh to horizontal",
    /// "hip flexion"). Over 30 degrees (on any measure of a lying test): no frame was lying
    /// and the trunk lay that far from horizontal in most frames, the test refused (a camera
    /// tilted that far, or a patient propped up).
    Tilted,
    /// A lying test's angle against the picture's horizontal (or any measure of a refused lying
    /// test), measured while the trunk and the resting leg, or both legs at rest, lay tilted
    /// alike from it (see [`super::TILTED_BODY_DEG`]): the whole body turned in the picture, a
    /// tilted camera (or a table not level), so the angle is off by as much against the table;
    /// `value` is the tilt, degrees, positive with the head end higher in the picture (the angle
    /// then reads that much low); `detail` the angle in words.
    CameraTilted,
    /// The trunk turned from the rest to the hold (see [`super::Movement::thigh_moves`]): past
    /// upright (kneeling: a lean back), or lying, from where it lay at rest (face down: the back
    /// arched; face up: the head and shoulders raised); that much of the result is the trunk's.
    /// `value` is that turn, degrees, positive towards the leg; lying, a negative turn (the
    /// shoulders lowered) took as much off the hip's rise. `detail` is the measure in words.
    TrunkMoved,
    /// The subject was chosen by size, the protocol's posture not telling who is meant (see
    /// [`crate::pose::guessed_choice`]); `value` is how many people were in the posture then (0,
    /// or 2 and more), `detail` the posture in words.
    SubjectGuessed,
    /// No person was found in a share of frames; `value` is the number of frames.
    NoPerson,
    /// The evidence picture could not be drawn; `detail` is the error.
    EvidenceNotDrawn,
    /// A dynamic result over few swings; `value` is how many.
    FewSwings,
    /// Swing peaks far from the others were left out of the mean; `value` is how many, `detail`
    /// their values.
    SwingsLeftOut,
    /// Swings whose peak was not seen clearly (frames missing or not counted there) are left out
    /// of the mean; `value` is how many, `detail` the number of swings.
    PeaksUnseen,
    /// The frames came too far apart for the swings: a swing's turn may fall between frames,
    /// its peak read low. `value` is the frames a swing (the median time from one swing's peak
    /// to the next over the median frame interval), `detail` the frame rate, frames per second.
    FramesFarApart,
    /// The swings went out of the picture's plane (a leg swung across the body, or the camera
    /// not side-on to the swing), so their peaks read low. `value` is how far the thigh pointed
    /// out of the plane at the peaks, degrees (an underestimate: see the swing tests), `detail`
    /// the share of its length shown there, percent.
    SwungOutOfPlane,
    /// The video's clock went back (clips joined, a camcorder's .mts files concatenated); the
    /// frames after were timed to follow on. `value` is how many times.
    ClockRestarted,
    /// The video's decoder reported damaged data it went on past (a file corrupted in
    /// transfer); `value` is how many of its messages said so (not frames: one damaged frame
    /// gives several).
    DecodeErrors,
    /// A position test's leg was also held still at another level than the result (the last
    /// level held): a press or a lift at the end would be the result. `value` is that other
    /// level (the longest held of those more than twice the band away), degrees; `detail` how
    /// long it was held, seconds (empty in older results).
    OtherLevelHeld,
    /// The video plays at another speed than it was captured (slow motion, a time-lapse) and
    /// was timed in real seconds; `value` is the frames per second captured, `detail` the frames
    /// per second it plays at.
    Retimed,
    /// The subject was small in the frame (see [`super::SMALL_SUBJECT_PX`]); `value` is its
    /// size, pixels.
    SmallSubject,
    /// The measured angle scattered from frame to frame by more than [`super::UNSTEADY_DEG`]
    /// where the result was read (the hold; with no result, the frames that count): keypoints
    /// that unsteady can hide a hold or put one at the wrong level. `value` is the scatter (one
    /// frame's standard deviation), degrees; `detail` the angle in words.
    Unsteady,
    /// The measure was also seen at a level further into the stretch before and after a stretch
    /// with nothing seen (frames dropped, keypoints not found), which no hold spans: the result
    /// may fall short.
    /// `value` is that level, degrees; `detail` the measure, the level and when, in words.
    HigherLevelUnseen,
    /// A warning stored by a gonio that kept warnings as text; `detail` is that text.
    Legacy,
}

impl WarningKind {
    /// Every kind, in the order above.
    pub const ALL: [WarningKind; 34] = [
        WarningKind::NoResult,
        WarningKind::AngleUnknown,
        WarningKind::OutOfPosition,
        WarningKind::FormBroken,
        WarningKind::ConditionUnknown,
        WarningKind::Foreshortened,
        WarningKind::Misread,
        WarningKind::HeelLifted,
        WarningKind::Oblique,
        WarningKind::SidesSwapped,
        WarningKind::FacingUnclear,
        WarningKind::FacingGuessed,
        WarningKind::SeveralPeople,
        WarningKind::ChosenAgain,
        WarningKind::LockAmbiguous,
        WarningKind::Tilted,
        WarningKind::CameraTilted,
        WarningKind::TrunkMoved,
        WarningKind::SubjectGuessed,
        WarningKind::NoPerson,
        WarningKind::EvidenceNotDrawn,
        WarningKind::FewSwings,
        WarningKind::SwingsLeftOut,
        WarningKind::PeaksUnseen,
        WarningKind::FramesFarApart,
        WarningKind::SwungOutOfPlane,
        WarningKind::ClockRestarted,
        WarningKind::DecodeErrors,
        WarningKind::OtherLevelHeld,
        WarningKind::Retimed,
        WarningKind::SmallSubject,
        WarningKind::Unsteady,
        WarningKind::HigherLevelUnseen,
        WarningKind::Legacy,
    ];

    /// The snake_case name, as stored.
    pub fn name(self) -> &'static str {
        match self {
            WarningKind::NoResult => "no_result",
            WarningKind::AngleUnknown => "angle_unknown",
            WarningKind::OutOfPosition => "out_of_position",
            WarningKind::FormBroken => "form_broken",
            WarningKind::ConditionUnknown => "condition_unknown",
            WarningKind::Foreshortened => "foreshortened",
            WarningKind::Misread => "misread",
            WarningKind::HeelLifted => "heel_lifted",
            WarningKind::Oblique => "oblique",
            WarningKind::SidesSwapped => "sides_swapped",
            WarningKind::FacingUnclear => "facing_unclear",
            WarningKind::FacingGuessed => "facing_guessed",
            WarningKind::SeveralPeople => "several_people",
            WarningKind::ChosenAgain => "chosen_again",
            WarningKind::LockAmbiguous => "lock_ambiguous",
            WarningKind::Tilted => "tilted",
            WarningKind::CameraTilted => "camera_tilted",
            WarningKind::TrunkMoved => "trunk_moved",
            WarningKind::SubjectGuessed => "subject_guessed",
            WarningKind::NoPerson => "no_person",
            WarningKind::EvidenceNotDrawn => "evidence_not_drawn",
            WarningKind::FewSwings => "few_swings",
            WarningKind::SwingsLeftOut => "swings_left_out",
            WarningKind::PeaksUnseen => "peaks_unseen",
            WarningKind::FramesFarApart => "frames_far_apart",
            WarningKind::SwungOutOfPlane => "swung_out_of_plane",
            WarningKind::ClockRestarted => "clock_restarted",
            WarningKind::DecodeErrors => "decode_errors",
            WarningKind::OtherLevelHeld => "other_level_held",
            WarningKind::Retimed => "retimed",
            WarningKind::SmallSubject => "small_subject",
            WarningKind::Unsteady => "unsteady",
            WarningKind::HigherLevelUnseen => "higher_level_unseen",
            WarningKind::Legacy => "legacy",
        }
    }

    /// The kind named `name` (see [`WarningKind::name`]).
    pub fn from_name(name: &str) -> Option<WarningKind> {
        WarningKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// One warning on a result. Which fields are set depends on the kind (see [`WarningKind`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "WarningJson", from = "WarningIn")]
pub struct Warning {
    pub kind: WarningKind,
    /// The side it concerns, when it concerns one.
    pub side: Option<Side>,
    /// The share of the source's frames it concerns, 0 to 1.
    pub share: Option<f32>,
    /// The number that goes with the kind (its unit is the kind's).
    pub value: Option<f32>,
    /// The words that go with the kind: a condition, a reason, an error; empty when none.
    pub detail: String,
}

impl Warning {
    /// A warning of `kind` with nothing else set.
    pub fn new(kind: WarningKind) -> Warning {
        Warning {
            kind,
            side: None,
            share: None,
            value: None,
            detail: String::new(),
        }
    }

    pub fn side(self, side: Side) -> Warning {
        Warning {
            side: Some(side),
            ..self
        }
    }

    /// `count` of `total` frames (nothing set when `total` is 0).
    pub fn frames(self, count: usize, total: usize) -> Warning {
        Warning {
            share: (total > 0).then(|| count as f32 / total as f32),
            ..self
        }
    }

    pub fn value(self, value: f32) -> Warning {
        Warning {
            value: Some(value),
            ..self
        }
    }

    pub fn detail(self, detail: impl Into<String>) -> Warning {
        Warning {
            detail: detail.into(),
            ..self
        }
    }

    /// A [`WarningKind::Retimed`] warning: the video was captured at `capture_fps` and plays
    /// at `playback_fps`, frames per second.
    pub fn retimed(capture_fps: f64, playback_fps: f64) -> Warning {
        Warning::new(WarningKind::Retimed)
            .value(capture_fps as f32)
            .detail((playback_fps as f32).to_string())
    }

    /// The warnings' words, joined by `separator`.
    pub fn join(warnings: &[Warning], separator: &str) -> String {
        warnings
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(separator)
    }

    /// What finding the subject over `frames` frames leaves in doubt: several people in view,
    /// the subject chosen again, an ambiguous lock.
    pub fn from_people(people: &PeopleSeen, frames: usize) -> Vec<Warning> {
        let mut out = Vec::new();
        if people.most > 1 {
            out.push(
                Warning::new(WarningKind::SeveralPeople)
                    .value(people.most as f32)
                    .frames(people.frames_with_several, frames),
            );
        }
        if people.locks > 1 {
            out.push(Warning::new(WarningKind::ChosenAgain).value((people.locks - 1) as f32));
        }
        if people.ambiguous_frames > 0 {
            out.push(
                Warning::new(WarningKind::LockAmbiguous).frames(people.ambiguous_frames, frames),
            );
        }
        if let Some(guess) = people.guessed {
            out.push(
                Warning::new(WarningKind::SubjectGuessed)
                    .value(guess.in_posture as f32)
                    .detail(guess.posture.words()),
            );
        }
        out
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let side = self.side.map_or("", |s| s.name());
        // A few frames of many are not "0%": that would read as none.
        let pct = match self.share.unwrap_or(0.0) {
            share if share > 0.0 && share < 0.005 => "<1".to_string(),
            share => format!("{:.0}", 100.0 * share),
        };
        let value = self.value.unwrap_or(f32::NAN);
        let detail = &self.detail;
        match self.kind {
            WarningKind::NoResult => write!(f, "no result: {detail}"),
            WarningKind::AngleUnknown => write!(
                f,
                "{side} {detail} unknown in {pct}% of frames (keypoints not reliable)"
            ),
            WarningKind::OutOfPosition => {
                write!(f, "{detail} in {pct}% of frames (not counted)")
            }
            WarningKind::FormBroken => {
                write!(f, "{detail} in {pct}% of frames (up to {value:.0} deg)")
            }
            WarningKind::ConditionUnknown => write!(f, "{detail} in {pct}% of frames"),
            WarningKind::Foreshortened => write!(
                f,
                "{side} leg or trunk foreshortened (pointing towards or away from the camera) in {pct}% of frames: not counted"
            ),
            WarningKind::HeelLifted => write!(
                f,
                "{side} heel lifted (the ankle rose over {:.0}% of the shank above the floor where the foot stood) in {pct}% of frames: not counted; keep the heel down",
                100.0 * super::HEEL_LIFT_SHANKS
            ),
            WarningKind::Misread => write!(
                f,
                "{side} leg or trunk misread (read longer than its own length, or jumped away and back: a keypoint on another limb or person) in {pct}% of frames: those angles left out"
            ),
            WarningKind::Oblique => write!(
                f,
                "view looks oblique (left-right spacing {value:.0}% of trunk length): turn sideways to the camera"
            ),
            WarningKind::SidesSwapped => write!(
                f,
                "left and right swapped by the pose model in {value:.0} frames (corrected)"
            ),
            WarningKind::FacingUnclear => write!(
                f,
                "facing direction unclear in {pct}% of frames (the face pointed the other way)"
            ),
            WarningKind::FacingGuessed => write!(
                f,
                "which way the body faced was guessed: the face was not seen in profile, nor a knee bent, in enough frames (a face turned to the camera or away from it does not tell), so face up and face down, forward and back, may be reversed: film the face in profile"
            ),
            WarningKind::SeveralPeople => write!(
                f,
                "up to {value:.0} people in view (with several in {pct}% of frames): check that the skeleton is on the person meant"
            ),
            WarningKind::ChosenAgain => write!(
                f,
                "the subject was chosen again {value:.0} time{} (lost, picked by a click, or taken over by the one person who took the test's position after a choice made with nobody in it): check that the same person was measured throughout",
                if value == 1.0 { "" } else { "s" }
            ),
            WarningKind::LockAmbiguous => write!(
                f,
                "subject lock ambiguous in {pct}% of frames (bodies overlapping, or a person the detector could not make out): check the evidence picture"
            ),
            WarningKind::TrunkMoved if value < 0.0 => write!(
                f,
                "the trunk turned away from the leg in the hold: the {detail} rose about {:.0} deg less than the leg did (the head and shoulders lowered, off a pillow or the table's end); keep the trunk still",
                -value
            ),
            WarningKind::TrunkMoved => write!(
                f,
                "the trunk moved with the leg: about {value:.0} deg of the {detail} are the trunk's (the back arched, a lean back, or the head and shoulders raised), not the hip's; keep the trunk still"
            ),
            WarningKind::CameraTilted => {
                let (end, reads) = if value > 0.0 {
                    ("higher", "low")
                } else {
                    ("lower", "high")
                };
                write!(
                    f,
                    "the body lay {:.0} deg from the picture's horizontal (the trunk and the resting leg alike, or both legs at rest; the head end {end}): the camera was tilted (or the table is not level), so ",
                    value.abs(),
                )?;
                if detail.ends_with("horizontal") {
                    write!(
                        f,
                        "the {detail} reads about {:.0} deg {reads} against the table",
                        value.abs()
                    )?;
                } else {
                    write!(
                        f,
                        "the test's conditions against the picture's horizontal are off by as much (the {detail}, against the trunk line, is not)"
                    )?;
                }
                write!(f, ": level the camera with the table and record again")
            }
            WarningKind::Tilted => {
                let (shoulders, moved) = if value > 0.0 {
                    ("higher", "raised")
                } else {
                    ("lower", "lowered")
                };
                if value.abs() > 30.0 {
                    // No frame was lying: the test refused (see `lying_tilt`).
                    return write!(
                        f,
                        "the trunk lay {:.0} deg from the picture's horizontal (the shoulders {shoulders} than the hips) in most frames, more than lying allows (30): if the patient lay flat, the camera was tilted: level it with the table and record again; if the table looks level in the picture, the patient was not lying flat",
                        value.abs()
                    );
                }
                write!(
                    f,
                    "the trunk lay {:.0} deg from the picture's horizontal (the shoulders {shoulders} than the hips) in the test's frames: ",
                    value.abs()
                )?;
                if detail.ends_with("horizontal") {
                    write!(
                        f,
                        "if the camera was tilted, the {detail} is off by as much: level the camera with the table (if the table looks level in the picture, the shoulders were {moved} and this angle stands)"
                    )
                } else {
                    write!(
                        f,
                        "if the table looks level in the picture, the shoulders were {moved} and the {detail}, against the trunk line, is off by as much; if the camera was tilted instead, it stands (level the camera with the table to tell)"
                    )
                }
            }
            WarningKind::SubjectGuessed => {
                let (who, measured) = if value >= 2.0 {
                    (
                        format!("{value:.0} people were {detail}"),
                        "the nearest of them",
                    )
                } else {
                    (format!("nobody was {detail}"), "the nearest person in view")
                };
                write!(
                    f,
                    "{who} (the test's position) when the subject was chosen, so {measured} was measured, who may not be the patient: check the evidence picture, or say who the patient is (`--pick`, or a click on them in the live view)"
                )
            }
            WarningKind::NoPerson => match self.share.filter(|&s| s > 0.0) {
                // "No person" read wrongly where the patient walked out and the therapist
                // stayed in view: it is the subject that was not found.
                Some(share) => write!(
                    f,
                    "the subject was not found in {value:.0} of {:.0} frames (out of view, or not made out)",
                    value / share
                ),
                None => write!(
                    f,
                    "the subject was not found in {value:.0} frames (out of view, or not made out)"
                ),
            },
            WarningKind::EvidenceNotDrawn => write!(
                f,
                "evidence picture not drawn: the frame could not be read again ({detail})"
            ),
            WarningKind::FewSwings => write!(
                f,
                "only {value:.0} swing{} measured: swing ten times or more for a mean and a spread to rely on (under 5 is graded fair)",
                if value == 1.0 { "" } else { "s" }
            ),
            WarningKind::SwingsLeftOut => write!(
                f,
                "{value:.0} swing peak{} far from the others left out of the mean ({detail} deg): a left/right swap or a keypoint on the wrong limb? check the plot",
                if value == 1.0 { "" } else { "s" }
            ),
            WarningKind::PeaksUnseen => write!(
                f,
                "the peak of {value:.0} of {detail} swings not seen clearly (frames missing or not counted there): left out of the mean"
            ),
            WarningKind::FramesFarApart => write!(
                f,
                "about {value:.1} frames a swing ({detail} frames/s): a swing's turn may fall between frames and its peak read low; film at a higher frame rate (a webcam slows down in dim light)"
            ),
            WarningKind::SwungOutOfPlane => write!(
                f,
                "the leg swung about {value:.0} deg or more out of the picture's plane (the thigh shown {detail}% of its length at the peaks): the peaks read low; swing straight forward and back, side-on to the camera"
            ),
            WarningKind::ClockRestarted => write!(
                f,
                "the video's clock went back {value:.0} time{} (clips joined?): the frames after were timed to follow on, so a hold may run across a join; check the plot",
                if value == 1.0 { "" } else { "s" }
            ),
            WarningKind::DecodeErrors => write!(
                f,
                "the video is damaged: the decoder reported damaged data ({value:.0} message{}) and went on, so frames may show smeared blocks and their keypoints with them; check the evidence picture",
                if value == 1.0 { "" } else { "s" }
            ),
            WarningKind::OtherLevelHeld => {
                write!(f, "also held still at {value:.1} deg")?;
                // (Older results carry no duration.)
                if let Ok(seconds) = detail.parse::<f64>() {
                    write!(f, " for {seconds:.1} s")?;
                }
                write!(
                    f,
                    ": the result is the last level held; check that the leg was relaxed then, not pressed or lifted"
                )
            }
            WarningKind::Retimed => {
                let playback: f32 = detail.parse().unwrap_or(f32::NAN);
                // Rates and factors as people say them: 240, 29.97, 0.5; 8, 2.5.
                let shown = |v: f32| {
                    if v >= 10.0 || (v - v.round()).abs() < 0.05 {
                        format!("{v:.0}")
                    } else {
                        let text = format!("{v:.2}");
                        text.trim_end_matches('0').trim_end_matches('.').to_string()
                    }
                };
                let (what, speed, factor) = if value > playback {
                    ("slow motion", "slower", shown(value / playback))
                } else {
                    ("a time-lapse", "faster", shown(playback / value))
                };
                let times = if value > playback {
                    format!("1/{factor} of")
                } else {
                    format!("{factor} times")
                };
                write!(
                    f,
                    "{what}: captured at {} frames/s and stored to play at {} ({factor}x {speed}); timed in real seconds, so the times here are {times} the player's",
                    shown(value),
                    shown(playback)
                )
            }
            WarningKind::SmallSubject => write!(
                f,
                "the subject is small in the frame ({value:.0} px across its keypoints): the pose model reads people under {:.0} px less well, so angles may be off by tens of degrees; move the camera closer or record at a higher resolution",
                super::SMALL_SUBJECT_PX
            ),
            WarningKind::Unsteady => write!(
                f,
                "keypoints unsteady: the {side} {detail} scattered {value:.1} deg from frame to frame (over {:.1}), enough to hide a hold or put it at the wrong level; move the camera closer (the leg larger in the picture), light the room better or steady the camera",
                super::UNSTEADY_DEG
            ),
            WarningKind::HigherLevelUnseen => write!(
                f,
                "a level further into the stretch not counted: the {side} {detail}, and unseen time never counts as held, so the result may fall short; record again with the whole body in view"
            ),
            WarningKind::Legacy => f.write_str(detail),
        }
    }
}

/// A warning as `--json` writes it: the fields, and the words a person reads.
#[derive(Serialize, Deserialize)]
struct WarningJson {
    kind: WarningKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    side: Option<Side>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    share: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    value: Option<f32>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    detail: String,
    /// Written for people; ignored when read back.
    #[serde(default, skip_deserializing)]
    message: String,
}

impl From<Warning> for WarningJson {
    fn from(w: Warning) -> Self {
        WarningJson {
            message: w.to_string(),
            kind: w.kind,
            side: w.side,
            share: w.share,
            value: w.value,
            detail: w.detail,
        }
    }
}

/// A warning read back: its fields, or the text an older gonio wrote (an export made before
/// warnings were values).
#[derive(Deserialize)]
#[serde(untagged)]
enum WarningIn {
    Fields(WarningJson),
    Text(String),
}

impl From<WarningIn> for Warning {
    fn from(w: WarningIn) -> Self {
        match w {
            WarningIn::Fields(w) => Warning {
                kind: w.kind,
                side: w.side,
                share: w.share,
                value: w.value,
                detail: w.detail,
            },
            WarningIn::Text(text) => Warning::new(WarningKind::Legacy).detail(text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_name_that_reads_back() {
        for kind in WarningKind::ALL {
            assert_eq!(WarningKind::from_name(kind.name()), Some(kind));
            let json = serde_json::to_string(&kind).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", kind.name()));
        }
        assert_eq!(WarningKind::from_name("nonsense"), None);
    }

    #[test]
    fn json_carries_the_fields_and_the_words_and_reads_back() {
        let w = Warning::new(WarningKind::Foreshortened)
            .side(Side::Left)
            .frames(1, 4);
        let json = serde_json::to_value(&w).unwrap_or_default();
        assert_eq!(json["kind"], "foreshortened");
        assert_eq!(json["side"], "left");
        assert_eq!(json["share"], 0.25);
        assert!(json["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("left leg or trunk foreshortened")
                && m.contains("in 25% of frames")));
        let back: Warning =
            serde_json::from_value(json).unwrap_or(Warning::new(WarningKind::Legacy));
        assert_eq!(back, w);
        let old: Vec<Warning> =
            serde_json::from_str(r#"["view looks oblique"]"#).unwrap_or_default();
        assert_eq!(
            old,
            [Warning::new(WarningKind::Legacy).detail("view looks oblique")]
        );
        assert_eq!(old[0].to_string(), "view looks oblique");
    }
}

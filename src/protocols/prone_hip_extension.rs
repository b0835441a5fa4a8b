//! Prone hip extension: the straight leg lifted from lying face down.

use super::{
    Best, Criterion, LegAngle, Measure, Movement, Posture, Protocol, ResultKind, Role, SideRule,
    Subject, Test, KNEE_STRAIGHT, LYING_FACE_DOWN, RESTING_LEG_IN_LINE_FACE_DOWN,
};

pub const PROTOCOL: Protocol = Protocol {
    id: "prone-hip-extension",
    title: "Prone hip extension",
    instructions:
        "Lie face down, legs straight. Lift one leg from the hip with the knee straight and \
                   hold. Camera at table height, side-on, whole body in view.",
    measures: &[Measure {
        name: "hip_extension",
        angle: LegAngle::HipFlexion,
        negate: true,
        best: Best::Highest,
        higher_is_better: true,
        mdc95: Some((3.9, "smartphone goniometer, one rater, hip extension (J Bodyw Mov Ther 2024, PMID 39593664)")),
        description: "lifted leg's hip extension: trunk line against thigh",
    }],
    criteria: &[
        LYING_FACE_DOWN,
        RESTING_LEG_IN_LINE_FACE_DOWN,
        // No hip extends this far with the pelvis on the table (10-20 deg is the norm, 30 the
        // AAOS's full range): a straight leg raised 70 deg lying face up, the face not seen to
        // tell which way the body lay, was a hip extension of 70 deg, graded fair. Chosen, not
        // measured: 45 leaves room for the pelvis tilting with the leg and for the reading.
        Criterion {
            subject: Subject::SameLeg(LegAngle::HipFlexion),
            test: Test::AtLeast(-45.0),
            role: Role::Posture,
            failure: "the leg lifted over 45 deg, beyond what a hip extends lying face down: lying face up (a leg raised), or the leg misread",
            hint: "lift the leg only as far as the hip goes, the pelvis down",
            unknown: "the lifted hip unknown",
        },
        KNEE_STRAIGHT,
    ],
    movement: Some(Movement {
        rise_deg: 5.0,
        absent: "no leg was lifted",
        // Lying flat, the leg (or knee) straight: movement counts from there.
        from_deg: Some(0.0),
        other_leg_still: None,
        thigh_moves: true,
    }),
    side_rule: SideRule::MostMovement,
    posture: Posture::Lying,
    norm: "10-20 deg hip extension (Norkin and White)",
    result: ResultKind::SustainedMaximum,    heel_down: false,
};

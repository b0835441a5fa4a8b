//! Prone hip extension: the straight leg lifted from lying face down.

use super::{
    Best, LegAngle, Measure, Movement, Posture, Protocol, ResultKind, SideRule, KNEE_STRAIGHT,
    LYING_FACE_DOWN, RESTING_LEG_IN_LINE_FACE_DOWN,
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

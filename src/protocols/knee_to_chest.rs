//! Knee to chest: supine hip flexion with the knee bent, the clinics' supine assisted hip-flexor
//! stretch (one knee drawn to the chest while the other leg stays flat).

use super::{
    Best, Criterion, LegAngle, Measure, Movement, Posture, Protocol, ResultKind, Role, SideRule,
    Subject, Test, LYING_ON_THE_BACK, RESTING_LEG_IN_LINE,
};

pub const PROTOCOL: Protocol = Protocol {
    id: "knee-to-chest",
    title: "Knee to chest (supine hip flexion, knee bent)",
    instructions: "Lie on your back, legs straight. Draw one knee towards the chest (or have the \
                   therapist draw it) as far as it goes and hold; the other leg stays flat on the \
                   table. Camera level, at table height, side-on, whole body in view.",
    measures: &[Measure {
        name: "hip_flexion",
        angle: LegAngle::HipFlexion,
        negate: false,
        best: Best::Highest,
        higher_is_better: true,
        mdc95: None,
        description: "drawn-up thigh against the trunk line",
    }],
    criteria: &[
        LYING_ON_THE_BACK,
        RESTING_LEG_IN_LINE,
        // A straight knee raised is the straight-leg raise, another test with other norms.
        Criterion {
            subject: Subject::SameLeg(LegAngle::KneeFlexion),
            test: Test::AtLeast(45.0),
            role: Role::Posture,
            failure: "knee bent under 45 deg: a straight-leg raise, not knee to chest",
            hint: "bend the knee and draw it to the chest",
            unknown: "knee angle unknown",
        },
        Criterion {
            subject: Subject::OtherLeg(LegAngle::ThighToHorizontal),
            // Within 15 deg either way: hanging off the table's edge is the Thomas test.
            test: Test::IfSeen(&Test::AbsAtMost(15.0)),
            role: Role::Form,
            failure: "other thigh lifted over 15 deg from the table",
            hint: "keep the other leg flat on the table",
            unknown: "other thigh unknown",
        },
    ],
    movement: Some(Movement {
        rise_deg: 15.0,
        absent: "no knee was drawn up",
        // Lying flat, the leg (or knee) straight: movement counts from there.
        from_deg: Some(0.0),
        other_leg_still: None,
        thigh_moves: true,
    }),
    side_rule: SideRule::MostMovement,
    posture: Posture::Lying,
    norm: "about 120 deg hip flexion (AAOS; Norkin and White 0-120)",
    result: ResultKind::SustainedMaximum,
    heel_down: false,
};

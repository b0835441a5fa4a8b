//! Straight-leg raise (passive or active): the raised leg against the trunk line and the
//! horizontal.

use super::{
    Best, Criterion, LegAngle, Measure, Movement, Posture, Protocol, ResultKind, Role, SideRule,
    Subject, Test, LYING_ON_THE_BACK, RESTING_LEG_IN_LINE,
};

pub const PROTOCOL: Protocol = Protocol {
    id: "slr",
    title: "Straight-leg raise (passive or active)",
    instructions: "Lie on your back, legs straight. Raise one leg with the knee straight (or have it \
                   raised) as far as it goes and hold; the other thigh stays on the table. Camera \
                   level, at table height, side-on, whole body in view.",
    measures: &[
        Measure {
            name: "hip_flexion",
            angle: LegAngle::HipFlexion,
            negate: false,
            best: Best::Highest,
        higher_is_better: true,
        mdc95: Some((7.0, "straight-leg raise, goniometer, limited flexibility: MDD 6-7 deg (J Sport Rehabil 2015, PMID 25364856)")),
            description: "raised leg's hip flexion against the trunk line",
        },
        Measure {
            name: "leg_to_horizontal",
            angle: LegAngle::LegToHorizontal,
            negate: false,
            best: Best::Highest,
        higher_is_better: true,
        mdc95: Some((7.0, "straight-leg raise, goniometer, limited flexibility: MDD 6-7 deg (J Sport Rehabil 2015, PMID 25364856)")),
            description: "raised leg against the horizontal (the table), as clinicians read it",
        },
    ],
    criteria: &[
        LYING_ON_THE_BACK,
        RESTING_LEG_IN_LINE,
        Criterion {
            subject: Subject::SameLeg(LegAngle::KneeFlexion),
            test: Test::AtMost(20.0),
            role: Role::Form,
            failure: "raised knee bent over 20 deg",
            hint: "keep the knee straight",
            unknown: "raised knee angle unknown",
        },
        Criterion {
            subject: Subject::OtherLeg(LegAngle::ThighToHorizontal),
            // (The far leg is often not seen for a moment: that does not break the hold.)
            test: Test::IfSeen(&Test::AtMost(15.0)),
            role: Role::Form,
            failure: "resting thigh lifted over 15 deg from the table",
            hint: "keep the other thigh on the table",
            unknown: "resting thigh unknown",
        },
    ],
    movement: Some(Movement {
        rise_deg: 15.0,
        absent: "no leg was raised",
        // Lying flat, the leg (or knee) straight: movement counts from there.
        from_deg: Some(0.0),
        other_leg_still: None,
        thigh_moves: true,
    }),
    side_rule: SideRule::MostMovement,
    posture: Posture::Lying,
    norm: "about 70-90 deg; under 70 often called tight hamstrings (MDD 6-7 deg, J Sport Rehabil 2015)",
    result: ResultKind::SustainedMaximum,    heel_down: false,
};

//! Active knee extension: the knee's remaining flexion with the hip held at 90 degrees.

use super::{
    Best, Criterion, LegAngle, Measure, Movement, Posture, Protocol, ResultKind, Role, SideRule,
    Subject, Test, LYING_ON_THE_BACK,
};

pub const PROTOCOL: Protocol = Protocol {
    id: "ake",
    title: "Active knee extension",
    instructions:
        "Lie on your back, hold one thigh vertical (hip at 90 deg) with both hands, then \
                   straighten that knee as far as you can and hold. Camera level, side-on to the \
                   tested leg, whole body in view.",
    measures: &[Measure {
        name: "knee_extension_deficit",
        angle: LegAngle::KneeFlexion,
        negate: false,
        best: Best::Lowest,
        higher_is_better: false,
        mdc95: Some((8.0, "active knee extension, goniometer, limited flexibility: MDD 7-8 deg (J Sport Rehabil 2015, PMID 25364856)")),
        description: "knee flexion remaining at the best held extension (0 = straight)",
    }],
    criteria: &[
        LYING_ON_THE_BACK,
        Criterion {
            subject: Subject::SameLeg(LegAngle::HipFlexion),
            test: Test::Within(80.0, 100.0),
            role: Role::Posture,
            failure: "hip not held at 90 ± 10 deg",
            hint: "hold the thigh upright (hip at 90 deg)",
            unknown: "hip angle unknown",
        },
    ],
    movement: Some(Movement {
        rise_deg: 15.0,
        absent: "the knee was never extended",
        // The thigh held upright with the knee bent at a right angle: bending it further and
        // coming back is no extension.
        from_deg: Some(90.0),
        other_leg_still: None,
        thigh_moves: false,
    }),
    side_rule: SideRule::MostMovement,
    posture: Posture::Lying,
    norm: "deficit under about 20 deg; men 17.8 ± 9.1, women 13.4 ± 6 (Balkan Med J 2018)",
    result: ResultKind::SustainedMaximum,    heel_down: false,
};

//! Leg swings: a dynamic warm-up, one straight-ish leg swung forward and back while standing.
//! The result is per swing (the peaks), not a held level.

use super::{
    Best, Criterion, LegAngle, Measure, Movement, Posture, Protocol, ResultKind, Role, SideRule,
    Subject, Test,
};

pub const PROTOCOL: Protocol = Protocol {
    id: "leg-swing",
    title: "Leg swings (dynamic, forward and back)",
    instructions: "Stand side-on to the camera, holding a wall or a chair if you like. Swing one \
                   leg forward and back, relaxed, ten times or more; the standing knee stays \
                   straight and the trunk upright. Camera level, at hip height, side-on, whole \
                   body in view. gonio reports each swing's peaks: compare with yourself and \
                   the other leg.",
    measures: &[
        Measure {
            name: "hip_flexion",
            angle: LegAngle::HipFlexion,
            negate: false,
            best: Best::Highest,
            higher_is_better: true,
            mdc95: None,
            description: "swinging leg's hip flexion at the front of each swing",
        },
        Measure {
            name: "hip_extension",
            angle: LegAngle::HipFlexion,
            negate: true,
            best: Best::Highest,
            higher_is_better: true,
            mdc95: None,
            description: "swinging leg's hip extension at the back of each swing",
        },
    ],
    criteria: &[
        Criterion {
            subject: Subject::Trunk,
            test: Test::Within(-45.0, 45.0),
            role: Role::Posture,
            failure: "not upright: not standing",
            hint: "stand upright",
            unknown: "trunk position unknown",
        },
        Criterion {
            subject: Subject::OtherLeg(LegAngle::KneeFlexion),
            test: Test::AtMost(20.0),
            role: Role::Form,
            failure: "standing knee bent over 20 deg",
            hint: "keep the standing knee straight",
            unknown: "standing knee unknown",
        },
        // A lean changes where the swing goes, not the hip angle measured against the trunk:
        // reported, not ruled out.
        Criterion {
            subject: Subject::Trunk,
            test: Test::AbsAtMost(20.0),
            role: Role::Flag,
            failure: "trunk leaned over 20 deg from vertical",
            hint: "keep the trunk upright",
            unknown: "trunk position unknown",
        },
    ],
    movement: Some(Movement {
        rise_deg: 15.0,
        absent: "no leg was swung",
        from_deg: None,
        other_leg_still: None,
        thigh_moves: false,
    }),
    side_rule: SideRule::MostMovementOf(LegAngle::ThighToHorizontal),
    posture: Posture::Standing,
    norm: "no norm: compare with yourself; a left-right difference is the finding",
    result: ResultKind::Swings {
        prominence_deg: 15.0,
    },
    heel_down: false,
};

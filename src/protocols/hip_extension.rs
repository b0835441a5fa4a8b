//! Kneeling hip-flexor stretch or lunge: hip extension of the back leg.

use super::{
    Best, Criterion, LegAngle, Measure, Movement, Posture, Protocol, ResultKind, Role, SideRule,
    Subject, Test,
};

pub const PROTOCOL: Protocol = Protocol {
    id: "hip-extension",
    title: "Hip extension in the kneeling hip-flexor stretch (or lunge)",
    instructions: "Half-kneel with the back knee on the floor and the front foot flat, then push the \
                   hips forward (a partner may push them) and hold, keeping the trunk upright. Camera \
                   at hip height, side-on to the body, whole body in view.",
    measures: &[Measure {
        name: "hip_extension",
        angle: LegAngle::HipFlexion,
        negate: true,
        best: Best::Highest,
        higher_is_better: true,
        mdc95: Some((3.9, "smartphone goniometer, one rater, hip extension (J Bodyw Mov Ther 2024, PMID 39593664)")),
        description: "back leg's hip extension: trunk line against thigh, positive behind the trunk",
    }],
    criteria: &[
        Criterion {
            subject: Subject::OtherLeg(LegAngle::KneeFlexion),
            test: Test::AtLeast(45.0),
            role: Role::Posture,
            failure: "front knee not bent: standing, not lunging or half-kneeling",
            hint: "step into a lunge or half-kneel, front knee bent",
            unknown: "front knee unknown",
        },
        Criterion {
            subject: Subject::OtherMinusSame(LegAngle::HipFlexion),
            test: Test::AtLeast(30.0),
            role: Role::Posture,
            failure: "measured thigh not behind the other: not the back leg of a lunge",
            hint: "measure the back leg",
            unknown: "thigh positions unknown",
        },
        Criterion {
            subject: Subject::Trunk,
            test: Test::AbsAtMost(15.0),
            role: Role::Form,
            failure: "trunk leaned over 15 deg from vertical: compensation",
            hint: "keep the trunk upright",
            unknown: "trunk lean unknown",
        },
    ],
    movement: Some(Movement {
        rise_deg: 5.0,
        absent: "the hips were never pushed forward",
        from_deg: None,
    }),
    side_rule: SideRule::HigherMedian,
    posture: Posture::Kneeling,
    norm: "10-20 deg hip extension (Norkin and White; AAOS reports 20)",
    result: ResultKind::SustainedMaximum,
};

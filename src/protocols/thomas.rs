//! Modified Thomas test: the hanging leg's thigh against the horizontal, and its knee.

use super::{
    Best, Criterion, LegAngle, Measure, Posture, Protocol, ResultKind, Role, SideRule, Subject,
    Test, LYING_ON_THE_BACK,
};

pub const PROTOCOL: Protocol = Protocol {
    id: "thomas",
    title: "Modified Thomas test",
    instructions: "Lie on your back at the edge of a table, hug one knee to the chest and let the \
                   other leg hang over the edge, relaxed. Camera level, at table height, side-on to \
                   the hanging leg.",
    measures: &[
        Measure {
            name: "thigh_to_horizontal",
            angle: LegAngle::ThighToHorizontal,
            negate: false,
            best: Best::Highest,
        higher_is_better: false,
        mdc95: Some((19.4, "modified Thomas test, goniometer SEM 7 deg (Peeler 2007, PMC2547866): 1.96 x sqrt(2) x 7")),
            description: "hanging thigh against the horizontal; above horizontal (positive) = short one-joint hip flexors",
        },
        Measure {
            name: "knee_flexion",
            angle: LegAngle::KneeFlexion,
            negate: false,
            best: Best::Highest,
        higher_is_better: true,
        mdc95: Some((19.4, "modified Thomas test, goniometer SEM 7 deg (Peeler 2007, PMC2547866): 1.96 x sqrt(2) x 7")),
            description: "hanging knee's flexion; under about 67 deg suggests short rectus femoris",
        },
    ],
    criteria: &[
        LYING_ON_THE_BACK,
        Criterion {
            subject: Subject::SameLeg(LegAngle::ThighToHorizontal),
            test: Test::Within(-45.0, 45.0),
            role: Role::Posture,
            failure: "measured thigh not near the horizontal: no leg hanging off the table",
            hint: "let the leg hang over the table's edge",
            unknown: "hanging thigh unknown",
        },
        Criterion {
            subject: Subject::SameLeg(LegAngle::KneeFlexion),
            test: Test::AtLeast(20.0),
            role: Role::Posture,
            failure: "measured knee straight: no lower leg hanging off the table",
            hint: "let the lower leg hang over the table's edge",
            unknown: "hanging knee unknown",
        },
        // A lower leg hangs from the knee: its foot resting on the table (the knee propped up)
        // held the thigh 15 deg above the horizontal and the knee at 30, read as short hip
        // flexors and a short rectus femoris, both good. The lower leg lies 90 deg from
        // vertical, less the knee's bend, plus the thigh's rise; a foot on the table (shank as
        // long as thigh) puts it at 90 less the thigh's rise, which a very short rectus femoris
        // hanging can match too (the thigh 20 deg up with the knee at 40): over 70 deg, where
        // the two part least badly, it is not the test's position, and the refusal names
        // both. From the geometry, not measured.
        Criterion {
            subject: Subject::SameLeg(LegAngle::ShankToVertical),
            test: Test::AbsAtMost(70.0),
            role: Role::Posture,
            failure: "lower leg not hanging (over 70 deg from vertical): the foot resting on something, or a very short rectus femoris",
            hint: "let the lower leg hang freely, the foot off the floor and the table",
            unknown: "hanging lower leg unknown",
        },
        Criterion {
            subject: Subject::OtherLeg(LegAngle::HipFlexion),
            test: Test::AtLeast(90.0),
            role: Role::Posture,
            failure: "other hip flexed under 90 deg (knee not held to the chest)",
            hint: "hold the other knee to the chest",
            unknown: "other hip unknown",
        },
    ],
    // A position test: the hanging leg is placed and relaxes, it is not moved.
    movement: None,
    side_rule: SideRule::LowerMedianOf(LegAngle::HipFlexion),
    posture: Posture::Lying,
    norm: "thigh at or below horizontal; knee flexion about 67 deg or more (BMC Sports Sci Med Rehabil 2021)",
    // The relaxed leg's position: the last level held.
    result: ResultKind::LastHold,    heel_down: false,
};

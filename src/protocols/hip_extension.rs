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
        // Sitting, a foot tucked back under the chair put the thigh 30 deg behind the other
        // with the hip flexed 50 deg: read as a hip extension of -50 deg, graded good.
        Criterion {
            subject: Subject::SameLeg(LegAngle::HipFlexion),
            test: Test::AtMost(30.0),
            role: Role::Posture,
            failure: "measured hip flexed over 30 deg: sitting or the knee raised, not the back leg of a lunge",
            hint: "kneel on the back knee, the thigh under or behind the hip",
            unknown: "measured hip unknown",
        },
        // No hip extends this far behind the trunk (10-20 deg is the norm, 30 the AAOS's full
        // range): a runner looking back over the shoulder for the whole stretch, the face read
        // the wrong way, had the front leg's hip, flexed 89 deg, read as a hip extension of 89,
        // graded good. The front hip of a half-kneeling stretch flexes 70-100. Chosen, not
        // measured.
        Criterion {
            subject: Subject::SameLeg(LegAngle::HipFlexion),
            test: Test::AtLeast(-70.0),
            role: Role::Posture,
            failure: "measured hip extended over 70 deg, beyond what a hip extends: the front leg read as the back one (the face turned back?), or the leg misread",
            hint: "face the way the front foot points, the head level",
            unknown: "measured hip unknown",
        },
        // Over 50 a very flexible athlete's deep lunge, with the lower back arched (the trunk
        // line takes it in), or a shallow lunge's front leg read as the back one: said, fair.
        Criterion {
            subject: Subject::SameLeg(LegAngle::HipFlexion),
            test: Test::AtLeast(-50.0),
            role: Role::Flag,
            failure: "measured hip extended over 50 deg, more than most hips extend: check the picture (the lower back arched, or the front leg read as the back one)",
            hint: "keep the lower back still, the head level",
            unknown: "measured hip unknown",
        },
        // Leaning back arches the lower back, and the trunk line's tilt is read as hip
        // extension: kneeling still, the trunk 12 deg back, read 11.8 deg, graded good.
        Criterion {
            subject: Subject::Trunk,
            test: Test::AtLeast(-10.0),
            role: Role::Form,
            failure: "trunk leaned back over 10 deg: the lower back arched, which reads as hip extension",
            hint: "keep the trunk upright, the lower back still",
            unknown: "trunk lean unknown",
        },
        Criterion {
            subject: Subject::Trunk,
            test: Test::AtMost(15.0),
            role: Role::Form,
            failure: "trunk leaned forward over 15 deg: compensation",
            hint: "keep the trunk upright",
            unknown: "trunk lean unknown",
        },
    ],
    movement: Some(Movement {
        rise_deg: 5.0,
        absent: "the hips were never pushed forward",
        from_deg: None,
        other_leg_still: None,
        thigh_moves: true,
    }),
    side_rule: SideRule::HigherMedian,
    posture: Posture::Kneeling,
    norm: "10-20 deg hip extension (Norkin and White; AAOS reports 20)",
    result: ResultKind::SustainedMaximum,    heel_down: false,
};

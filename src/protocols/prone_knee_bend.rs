//! Prone knee bend: rectus femoris length, the heel drawn towards the buttock lying face down.

use super::{
    Best, Criterion, LegAngle, Measure, Movement, Posture, Protocol, ResultKind, Role, SideRule,
    Subject, Test, LYING_FACE_DOWN, RESTING_LEG_IN_LINE_FACE_DOWN,
};

pub const PROTOCOL: Protocol = Protocol {
    id: "prone-knee-bend",
    title: "Prone knee bend (rectus femoris length)",
    instructions: "Lie face down, legs straight. Bend one knee, heel towards the buttock (or have \
                   the therapist bend it) as far as it goes and hold, the hip staying on the \
                   table. Camera at table height, side-on, whole body in view.",
    measures: &[Measure {
        name: "knee_flexion",
        angle: LegAngle::KneeFlexion,
        negate: false,
        best: Best::Highest,
        higher_is_better: true,
        mdc95: None,
        description: "bent knee's flexion: 0 = straight",
    }],
    criteria: &[
        LYING_FACE_DOWN,
        RESTING_LEG_IN_LINE_FACE_DOWN,
        // The hip flexing off the table as the knee bends is Ely's sign (a short rectus
        // femoris): a finding the warnings report; those frames do not count.
        Criterion {
            subject: Subject::SameLeg(LegAngle::HipFlexion),
            test: Test::AtMost(10.0),
            role: Role::Form,
            failure:
                "hip lifted off the table over 10 deg (Ely's sign: the rectus femoris is short)",
            hint: "keep the hip down on the table",
            unknown: "hip angle unknown",
        },
        // The thigh lifted behind the trunk (by a hand, or the trunk raised) is no Ely's sign.
        Criterion {
            subject: Subject::SameLeg(LegAngle::HipFlexion),
            test: Test::AtLeast(-10.0),
            role: Role::Form,
            failure: "thigh lifted behind the trunk over 10 deg: the hip extended, not flat",
            hint: "keep the thigh down on the table",
            unknown: "hip angle unknown",
        },
    ],
    movement: Some(Movement {
        rise_deg: 15.0,
        absent: "no knee was bent",
        // Lying flat, the leg (or knee) straight: movement counts from there.
        from_deg: Some(0.0),
        other_leg_still: None,
        thigh_moves: false,
    }),
    side_rule: SideRule::MostMovement,
    posture: Posture::Lying,
    norm: "heel near the buttock, about 130-140 deg knee flexion (AAOS 0-135; working assumption)",
    result: ResultKind::SustainedMaximum,
    heel_down: false,
};

//! Toe touch: standing or seated forward fold with straight knees.

use super::{
    Best, Criterion, LegAngle, Measure, Movement, Posture, Protocol, ResultKind, Role, SideRule,
    Subject, Test, KNEE_STRAIGHT,
};

pub const PROTOCOL: Protocol = Protocol {
    id: "toe-touch",
    title: "Toe touch (standing or seated forward fold)",
    instructions:
        "Stand (or sit with legs out) with the knees straight and fold forward from the hips \
                   as far as you can, then hold. Camera at hip height, side-on, whole body in view.",
    measures: &[Measure {
        name: "hip_flexion",
        angle: LegAngle::HipFlexion,
        negate: false,
        best: Best::Highest,
        higher_is_better: true,
        mdc95: None,
        description: "hip flexion: trunk line against thigh",
    }],
    criteria: &[
        Criterion {
            subject: Subject::Trunk,
            test: Test::AtLeast(-30.0),
            role: Role::Posture,
            failure: "lying or leaning back, not folding forward",
            hint: "stand or sit up, then fold forward",
            unknown: "trunk position unknown",
        },
        // A fold bends both hips alike; one leg raised with the trunk upright (a standing
        // leg raise, a heel on a bench) bends one: it was measured as a toe touch.
        Criterion {
            subject: Subject::OtherMinusSame(LegAngle::HipFlexion),
            test: Test::AbsAtMost(30.0),
            role: Role::Posture,
            failure: "one leg raised, not both folded: not a forward fold",
            hint: "keep both feet down and fold forward from the hips",
            unknown: "the other leg's hip unknown",
        },
        KNEE_STRAIGHT,
    ],
    movement: Some(Movement {
        // A tight runner's seated fold may go from 90 (sitting up) to only 100-105.
        rise_deg: 10.0,
        absent: "no forward fold",
        // Standing: the hips straight. Leaning back and standing up again is no fold.
        from_deg: Some(0.0),
        // A fold holds both hips: one leg swinging through is no fold.
        other_leg_still: Some(Subject::OtherMinusSame(LegAngle::HipFlexion)),
        thigh_moves: false,
    }),
    side_rule: SideRule::MostReliable,
    posture: Posture::Standing,
    norm: "no published norm for this camera measure: compare with your own earlier sessions",
    result: ResultKind::SustainedMaximum,
    heel_down: false,
};

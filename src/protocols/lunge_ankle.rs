//! Weight-bearing lunge test: ankle dorsiflexion (calves) as the front shank's inclination.

use super::{
    Best, Criterion, LegAngle, Measure, Movement, Posture, Protocol, ResultKind, Role, SideRule,
    Subject, Test,
};

pub const PROTOCOL: Protocol = Protocol {
    id: "lunge-ankle",
    title: "Weight-bearing lunge (ankle dorsiflexion)",
    instructions: "Stand in a lunge facing a wall, the front foot pointing at it. Drive the front \
                   knee forward over the foot towards the wall as far as it goes with the heel \
                   down, and hold. Camera level, at shin height, side-on, both feet in view. \
                   gonio measures the joint-centre line (knee to ankle): compare with your own \
                   earlier results and the other leg, not with inclinometer norms.",
    measures: &[Measure {
        name: "ankle_dorsiflexion",
        angle: LegAngle::ShankToVertical,
        negate: false,
        best: Best::Highest,
        higher_is_better: true,
        mdc95: Some((
            4.7,
            "weight-bearing lunge test, same clinician: MDC 4.7 deg (Powden 2015, PMID 25704110)",
        )),
        description: "front shank (ankle to knee) against the vertical: knee ahead positive",
    }],
    criteria: &[
        Criterion {
            subject: Subject::Trunk,
            test: Test::Within(-45.0, 45.0),
            role: Role::Posture,
            failure: "not upright: not standing in a lunge",
            hint: "stand upright in a lunge",
            unknown: "trunk position unknown",
        },
        // The back leg's knee is ahead of its ankle too, but nearly straight.
        Criterion {
            subject: Subject::SameLeg(LegAngle::KneeFlexion),
            test: Test::AtLeast(30.0),
            role: Role::Posture,
            failure: "knee not bent: not the front leg of a lunge",
            hint: "bend the front knee",
            unknown: "knee angle unknown",
        },
        Criterion {
            subject: Subject::SameLeg(LegAngle::ShankToVertical),
            test: Test::AtLeast(0.0),
            role: Role::Posture,
            failure: "knee not ahead of the ankle",
            hint: "drive the front knee forward over the foot",
            unknown: "shank angle unknown",
        },
        // The front foot stays on the floor: a heel pulled to the buttock (a standing quad
        // stretch) puts the ankle above the knee, a knee lifted or hugged puts the knee at the
        // hip's height. Both were measured as lunges.
        Criterion {
            subject: Subject::SameLeg(LegAngle::ShankToVertical),
            test: Test::AtMost(75.0),
            role: Role::Posture,
            failure: "shank tipped past 75 deg: the foot is off the floor, not a lunge",
            hint: "keep the front heel down",
            unknown: "shank angle unknown",
        },
        // (Half-kneeling at a wall, the front thigh is near horizontal: 3-9 deg below it.)
        Criterion {
            subject: Subject::SameLeg(LegAngle::ThighToHorizontal),
            test: Test::AtMost(5.0),
            role: Role::Posture,
            failure: "knee raised above the hip's height: the foot is off the floor, not a lunge",
            hint: "keep the front foot on the floor",
            unknown: "thigh angle unknown",
        },
        // A lunge has the other leg behind; a squat bends both hips alike.
        Criterion {
            subject: Subject::OtherMinusSame(LegAngle::HipFlexion),
            test: Test::AtMost(-15.0),
            role: Role::Posture,
            failure: "the other leg not behind: not a lunge (both hips bent alike, a squat; or this is the back leg, not the front one)",
            hint: "step the other foot back into a lunge",
            unknown: "the other leg's hip unknown",
        },
    ],
    movement: Some(Movement {
        rise_deg: 10.0,
        absent: "the knee was not driven forward",
        from_deg: None,
        // A lunge holds both legs: the back leg swinging through is no lunge.
        other_leg_still: Some(Subject::OtherLeg(LegAngle::ThighToHorizontal)),
        thigh_moves: false,
    }),
    // The front leg's hip is the flexed one; in a short split stance the back knee bends as
    // much as the front one (the back leg was measured).
    side_rule: SideRule::HigherMedianOf(LegAngle::HipFlexion),
    posture: Posture::Kneeling,
    norm: "no norm for this line: 2D joint-centre lines read about 27 +/- 6 deg where an inclinometer on the tibia read 39-45 (PMID 28108266); compare with yourself and the other leg",
    result: ResultKind::SustainedMaximum,    // COCO keypoints have no heel or toe, but a heel lifted raises the ankle.
    heel_down: true,
};

//! `gonio protocols`: what each protocol measures and how to set it up.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Args;

use gonio::protocols::{Criterion, Protocol, Role, Subject, Test, ALL, HEEL_LIFT_SHANKS};

#[derive(Args)]
pub struct ProtocolsArgs {
    /// Print as JSON
    #[arg(long)]
    json: bool,
}

fn describe(test: Test) -> String {
    match test {
        Test::AtMost(v) => format!("at most {v} deg"),
        Test::AtLeast(v) => format!("at least {v} deg"),
        Test::Within(lo, hi) => format!("between {lo} and {hi} deg"),
        Test::AbsAtMost(v) => format!("within ±{v} deg"),
        Test::IfSeen(test) => format!("{} (where seen)", describe(*test)),
    }
}

/// "knee flexion of the measured leg at most 20 deg".
fn requirement(criterion: &Criterion) -> String {
    let subject = match criterion.subject {
        Subject::SameLeg(angle) => format!("{} of the measured leg", angle.name()),
        Subject::OtherLeg(angle) => format!("{} of the other leg", angle.name()),
        Subject::OtherMinusSame(angle) => {
            format!("{} of the other leg minus the measured leg's", angle.name())
        }
        Subject::Trunk => "trunk lean from vertical".to_string(),
    };
    format!("{subject} {}", describe(criterion.test))
}

/// "the measure rises at least 15 deg from its resting level (else: no leg was raised)".
fn movement(protocol: &Protocol) -> Option<String> {
    protocol.movement.map(|m| {
        format!(
            "{} moves at least {} deg from its resting level and is held there (else: {})",
            protocol.main_measure().name,
            m.rise_deg,
            m.absent
        )
    })
}

/// The heel rule, for the protocols that keep the heel down.
fn heel(protocol: &Protocol) -> Option<String> {
    protocol.heel_down.then(|| {
        format!(
            "the measured leg's heel down (its ankle within {:.0}% of the shank above the floor \
             where the foot stood)",
            100.0 * HEEL_LIFT_SHANKS
        )
    })
}

pub fn run(args: &ProtocolsArgs) -> anyhow::Result<ExitCode> {
    let mut out = io::stdout().lock();
    if args.json {
        let list: Vec<_> = ALL
            .iter()
            .map(|p| {
                serde_json::json!({
                    "id": p.id,
                    "title": p.title,
                    "instructions": p.instructions,
                    "measures": p.measures.iter().map(|m| serde_json::json!({"name": m.name, "description": m.description})).collect::<Vec<_>>(),
                    "position": p.criteria.iter().filter(|c| c.role == Role::Posture).map(requirement).collect::<Vec<_>>(),
                    "valid_frames": p.criteria.iter().map(requirement).chain(heel(p)).collect::<Vec<_>>(),
                    "movement": movement(p),
                    "norm": p.norm,
                })
            })
            .collect();
        serde_json::to_writer_pretty(&mut out, &list)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    for p in ALL {
        writeln!(out, "{}  {}", p.id, p.title)?;
        writeln!(out, "  how:      {}", p.instructions)?;
        for m in p.measures {
            writeln!(out, "  measures: {} ({})", m.name, m.description)?;
        }
        for c in p.criteria {
            let (role, what) = match c.role {
                Role::Posture => ("position", "frames with"),
                Role::Form => ("counts", "frames with"),
                Role::Flag => ("noted", "flagged unless"),
            };
            let label = format!("{role}:");
            writeln!(out, "  {label:10}{what} {}", requirement(c))?;
        }
        if let Some(text) = heel(p) {
            writeln!(out, "  counts:   frames with {text}")?;
        }
        if let Some(text) = movement(p) {
            writeln!(out, "  movement: {text}")?;
        }
        writeln!(out, "  typical:  {}", p.norm)?;
        writeln!(out)?;
    }
    writeln!(
        out,
        "Use: gonio analyze <keypoints.csv> --protocol <id> [--side auto|left|right|both]"
    )?;
    Ok(ExitCode::SUCCESS)
}

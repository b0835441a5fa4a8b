use gonio::capture::VideoFrames;
use gonio::pose::*;
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let rt = gonio::Runtime::load().unwrap();
    let det = PersonDetector::new(rt, 1).unwrap();
    let mut est = PoseEstimator::new(rt, ModelKind::Thunder, 1).unwrap();
    let mut f = SubjectFinder::multi(det, Pick::Auto(Some(Posture::Kneeling)));
    let from: usize = a[2].parse().unwrap();
    let to: usize = a[3].parse().unwrap();
    for (i, fr) in VideoFrames::open(std::path::Path::new(&a[1]))
        .unwrap()
        .enumerate()
    {
        if i > to {
            break;
        }
        let found = f.next(&mut est, &fr.unwrap().image).unwrap();
        if i >= from {
            let k = |b: BodyPart| {
                let k = found.pose.get(b);
                format!("{:.0},{:.0}({:.2})", k.x, k.y, k.confidence)
            };
            println!(
                "{i} people {} id {:?} amb {} conf {} LH {} RH {} LK {} RK {}",
                found.people,
                found.subject_id,
                found.ambiguous,
                found.pose.confident_count(0.3),
                k(BodyPart::LeftHip),
                k(BodyPart::RightHip),
                k(BodyPart::LeftKnee),
                k(BodyPart::RightKnee)
            );
        }
    }
}

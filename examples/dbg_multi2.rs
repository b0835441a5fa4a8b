use gonio::capture::VideoFrames;
use gonio::pose::BodyPart;
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let rt = gonio::Runtime::load().unwrap();
    let mut det = gonio::pose::PersonDetector::new(rt, 1).unwrap();
    let from: usize = a[2].parse().unwrap();
    let to: usize = a[3].parse().unwrap();
    for (i, f) in VideoFrames::open(std::path::Path::new(&a[1]))
        .unwrap()
        .enumerate()
    {
        if i < from || i > to {
            continue;
        }
        let f = f.unwrap();
        let people = det.detect(&f.image).unwrap();
        let mut img = f.image.clone();
        for (n, p) in people.iter().enumerate() {
            let k = |b: BodyPart| {
                let k = p.pose.get(b);
                format!("{:.0},{:.0}({:.2})", k.x, k.y, k.confidence)
            };
            println!(
                "{i} p{n} s{:.2} box {:.0},{:.0}-{:.0},{:.0} LH {} RH {} LK {} RK {} LA {} RA {}",
                p.score,
                p.bbox.left,
                p.bbox.top,
                p.bbox.right,
                p.bbox.bottom,
                k(BodyPart::LeftHip),
                k(BodyPart::RightHip),
                k(BodyPart::LeftKnee),
                k(BodyPart::RightKnee),
                k(BodyPart::LeftAnkle),
                k(BodyPart::RightAnkle)
            );
            if n == 0 {
                gonio::report::overlay::draw_pose(&mut img, &p.pose);
            }
        }
        let small = image::imageops::resize(
            &img,
            img.width() / 4,
            img.height() / 4,
            image::imageops::FilterType::Triangle,
        );
        small.save(format!("/tmp/trk/d{i:03}.png")).unwrap();
    }
}

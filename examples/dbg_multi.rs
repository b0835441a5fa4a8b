use gonio::capture::VideoFrames;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rt = gonio::Runtime::load().unwrap();
    let mut det = gonio::pose::PersonDetector::new(rt, 1).unwrap();
    let path = std::path::Path::new(&args[1]);
    if path.extension().unwrap() == "mp4" {
        let frames = VideoFrames::open(path).unwrap();
        for (i, f) in frames.enumerate() {
            let f = f.unwrap();
            let t = std::time::Instant::now();
            let people = det.detect(&f.image).unwrap();
            if i % 10 == 0 {
                print!("{i} {:.1}ms:", t.elapsed().as_secs_f64() * 1000.0);
                for p in &people {
                    print!(
                        " [{:.2} {:.0},{:.0}-{:.0},{:.0} kp{}]",
                        p.score,
                        p.bbox.left,
                        p.bbox.top,
                        p.bbox.right,
                        p.bbox.bottom,
                        p.pose.confident_count(0.3)
                    );
                }
                println!();
            }
        }
    } else {
        let img = image::open(path).unwrap().to_rgb8();
        let people = det.detect(&img).unwrap();
        println!("{}x{}", img.width(), img.height());
        for p in &people {
            println!(
                " [{:.2} {:.0},{:.0}-{:.0},{:.0} kp{}]",
                p.score,
                p.bbox.left,
                p.bbox.top,
                p.bbox.right,
                p.bbox.bottom,
                p.pose.confident_count(0.3)
            );
        }
    }
}

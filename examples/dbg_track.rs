use gonio::capture::VideoFrames;
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let track = gonio::pose::csv::read_keypoints_csv(std::path::Path::new(&a[2])).unwrap();
    let from: usize = a[3].parse().unwrap();
    let to: usize = a[4].parse().unwrap();
    for (i, f) in VideoFrames::open(std::path::Path::new(&a[1]))
        .unwrap()
        .enumerate()
    {
        if i < from || i > to {
            continue;
        }
        let mut img = f.unwrap().image;
        gonio::report::overlay::draw_pose(&mut img, &track.poses[i]);
        let small = image::imageops::resize(
            &img,
            img.width() / 4,
            img.height() / 4,
            image::imageops::FilterType::Triangle,
        );
        small.save(format!("/tmp/trk/{i:03}.png")).unwrap();
    }
}

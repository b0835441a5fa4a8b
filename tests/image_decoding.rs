//! Property test: no byte string makes image loading panic.

use gonio::capture::load_image;
use proptest::prelude::*;

proptest! {
    // A fixed seed: the same cases on every run, so that a failure is the code's, not the draw's.
    #![proptest_config(ProptestConfig {
        cases: 300,
        rng_seed: proptest::test_runner::RngSeed::Fixed(20261204),
        ..ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_bytes_never_panic(prefix in prop::sample::select(vec![
            &b""[..], b"\xFF\xD8\xFF\xE0", b"\x89PNG\r\n\x1a\n", b"RIFF\x10\x00\x00\x00WEBPVP8 ", b"BM", b"II*\x00"]),
        body in prop::collection::vec(any::<u8>(), 0..2048)) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("input.img");
        let mut bytes = prefix.to_vec();
        bytes.extend_from_slice(&body);
        std::fs::write(&path, &bytes).unwrap();
        if let Err(error) = load_image(&path) {
            prop_assert!(error.to_string().contains(&path.display().to_string()));
        }
    }
}

//! The bodies of `fixtures/`, for tests that go over all of them.

/// Every JSON body under `fixtures/` (but the webhook keys), with its path, sorted.
pub fn every_fixture() -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for dir in ["adobe-docs", "edge-cases", "events", "published"] {
        let full = format!("{}/fixtures/{dir}", env!("CARGO_MANIFEST_DIR"));
        for entry in std::fs::read_dir(&full).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") {
                let name = format!("{dir}/{}", path.file_name().unwrap().to_string_lossy());
                files.push((name, std::fs::read(&path).unwrap()));
            }
        }
    }
    files.sort();
    files
}

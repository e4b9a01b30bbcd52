//! Replays every input the fuzzers kept (`fuzz/corpus/<target>`) and every crash they found
//! (`fuzz/regressions/<target>`) through the fuzz targets' own checks, on stable, so CI guards what
//! fuzzing found without nightly.

#[path = "support/checks.rs"]
mod checks;
#[path = "support/mutate.rs"]
mod mutate;
#[cfg(feature = "webhook")]
#[path = "support/webhook_input.rs"]
mod webhook_input;

use std::path::Path;

fn files_under(folder: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(folder) else {
        return files;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files.sort();
    files
}

#[test]
fn every_kept_fuzz_input_and_regression_holds_the_invariants() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut replayed = 0;
    for folder in ["corpus/parse_bytes", "regressions/parse_bytes"] {
        for file in files_under(&root.join(folder)) {
            let body = std::fs::read(&file).unwrap();
            checks::check_body(&body);
            replayed += 1;
        }
    }
    for folder in ["corpus/parse_json", "regressions/parse_json"] {
        for file in files_under(&root.join(folder)) {
            let bytes = std::fs::read(&file).unwrap();
            if let Some(mutation) = mutate::Mutation::from_bytes(&bytes) {
                checks::check_body(&mutation.body());
            }
            replayed += 1;
        }
    }
    #[cfg(feature = "webhook")]
    for folder in ["corpus/webhook", "regressions/webhook"] {
        for file in files_under(&root.join(folder)) {
            if let Some(request) =
                webhook_input::Request::from_bytes(&std::fs::read(&file).unwrap())
            {
                request.check();
            }
            replayed += 1;
        }
    }
    // The seed corpus alone holds the 20 fixtures; fewer means the corpus went missing.
    assert!(
        replayed >= 20,
        "only {replayed} fuzz inputs found under {}",
        root.display()
    );
}

#[test]
fn every_fixture_holds_the_invariants() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let files: Vec<_> = files_under(&fixtures)
        .into_iter()
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    assert!(files.len() >= 20);
    for file in files {
        checks::check_body(&std::fs::read(&file).unwrap());
    }
}

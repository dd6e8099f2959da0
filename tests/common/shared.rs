//! `../shared` beside the checkout: the conformance corpora that CI has and a
//! fresh clone does not. A test that needs it calls [`shared_dir`]: absent, it
//! prints a note and the test skips; with `TRUEUP_REQUIRE_SHARED=1` (set by
//! `.ci/run`) an absent corpus is a failure instead.

use std::path::PathBuf;

/// `../shared/<relative>`, or `None` (after a printed note) when it is absent
/// and not required. Panics when it is absent and `TRUEUP_REQUIRE_SHARED=1`.
pub fn shared_dir(relative: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared")
        .join(relative);
    if dir.exists() {
        return Some(dir);
    }
    if std::env::var_os("TRUEUP_REQUIRE_SHARED").is_some_and(|v| v == "1") {
        panic!(
            "{} is missing and TRUEUP_REQUIRE_SHARED=1: CI needs the shared corpora beside the checkout",
            dir.display()
        );
    }
    eprintln!(
        "note: skipping the tests over {} (not beside this checkout; set TRUEUP_REQUIRE_SHARED=1 to make this an error)",
        dir.display()
    );
    None
}

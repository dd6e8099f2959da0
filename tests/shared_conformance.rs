//! kustomize's own test suite (`../shared/conformance/kustomize-krusty`, 301
//! cases) and folders from real repositories where trueup once disagreed
//! (`../shared/conformance/real-repos`), one test per case: trueup prints the
//! bytes of the oracle's `expected.yaml`, or fails where kustomize failed
//! (`expected-error.txt`).
//!
//! `tests/shared_conformance_known.txt` lists the cases that do not agree yet,
//! each with the reason. A listed case must still disagree (so the list shrinks
//! as fixes land: a fixed case fails until its line is removed); a case listed
//! as `refused` must be refused by name (`not supported yet: ...`).

#[path = "common/shared.rs"]
mod shared;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use libtest_mimic::{Arguments, Failed, Trial};
use trueup_core::{BuildOptions, ErrorKind, LoadRestrictor};

/// What the known-disagreements list says of a case.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Known {
    /// trueup refuses a field it does not implement yet, by name.
    Refused,
    /// trueup disagrees with kustomize for the reason given.
    Disagrees,
}

fn known_cases() -> BTreeMap<String, Known> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/shared_conformance_known.txt");
    let text = std::fs::read_to_string(&path).expect("the known-disagreements list is readable");
    let mut known = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let mut words = line.split_whitespace();
        let (Some(name), Some(class)) = (words.next(), words.next()) else {
            panic!("{}:{}: expected `CORPUS/CASE CLASS`", path.display(), i + 1);
        };
        let class = match class {
            "refused" => Known::Refused,
            "disagrees" => Known::Disagrees,
            other => panic!(
                "{}:{}: class {other:?} is neither refused nor disagrees",
                path.display(),
                i + 1
            ),
        };
        assert!(
            known.insert(name.to_owned(), class).is_none(),
            "{}:{}: {name} is listed twice",
            path.display(),
            i + 1
        );
    }
    known
}

/// Every folder under `root` that holds a `.case` file, skipping `_` folders.
fn case_dirs(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        if dir.join(".case").is_file() {
            out.push(dir.clone());
        }
        let entries = std::fs::read_dir(&dir).expect("a corpus folder is readable");
        for entry in entries {
            let entry = entry.expect("a readable entry");
            let name = entry.file_name();
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            if is_dir && !name.to_string_lossy().starts_with(['_', '.']) {
                stack.push(entry.path());
            }
        }
    }
    out.sort();
    out
}

/// Whether the case agrees with kustomize; `Err` says how it does not.
fn agrees(case: &Path) -> Result<(), (bool, String)> {
    let flags = std::fs::read_to_string(case.join("build-flags")).unwrap_or_default();
    let options = BuildOptions {
        load_restrictor: if flags.contains("--load-restrictor none") {
            LoadRestrictor::None
        } else {
            LoadRestrictor::RootOnly
        },
        ..BuildOptions::default()
    };
    let result = trueup_core::build_opts(case, &options);
    let golden = case.join("expected.yaml");
    match (std::fs::read_to_string(&golden), result) {
        (Ok(want), Ok(set)) => {
            let got = set.to_yaml();
            if got == want {
                Ok(())
            } else {
                Err((
                    false,
                    format!("output differs:\n{}", first_difference(&want, &got)),
                ))
            }
        }
        (Ok(_), Err(e)) => Err((
            e.kind() == ErrorKind::Unsupported,
            format!("kustomize renders it, trueup fails: {e}"),
        )),
        (Err(_), Ok(_)) => {
            let why = std::fs::read_to_string(case.join("expected-error.txt"))
                .unwrap_or_else(|_| "(no golden at all)".into());
            Err((
                false,
                format!("kustomize fails, trueup renders it; kustomize said: {why}"),
            ))
        }
        // Both fail: an agreement, unless trueup stopped on a field it does
        // not implement before reaching kustomize's reason.
        (Err(_), Err(e)) if e.kind() == ErrorKind::Unsupported => Err((
            true,
            format!("both fail, but trueup refuses a field first: {e}"),
        )),
        (Err(_), Err(_)) => Ok(()),
    }
}

fn first_difference(want: &str, got: &str) -> String {
    let line = want
        .lines()
        .zip(got.lines())
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| want.lines().count().min(got.lines().count()));
    let show = |text: &str| {
        text.lines()
            .skip(line.saturating_sub(2))
            .take(5)
            .collect::<Vec<_>>()
            .join("\n")
    };
    format!(
        "at line {}\n--- kustomize\n{}\n--- trueup\n{}",
        line + 1,
        show(want),
        show(got)
    )
}

fn main() {
    let args = Arguments::from_args();
    let known = known_cases();
    let mut trials = Vec::new();
    let mut seen = Vec::new();
    for (corpus, folder) in [
        ("krusty", "conformance/kustomize-krusty"),
        ("real-repos", "conformance/real-repos"),
    ] {
        let Some(root) = shared::shared_dir(folder) else {
            continue;
        };
        for case in case_dirs(&root) {
            let relative = case.strip_prefix(&root).expect("under the root");
            let top = relative
                .components()
                .next()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .unwrap_or_default();
            let name = format!("{corpus}/{top}");
            seen.push(name.clone());
            let expect = known.get(&name).cloned();
            trials.push(Trial::test(name.clone(), move || {
                match (agrees(&case), expect) {
                    (Ok(()), None) => Ok(()),
                    (Ok(()), Some(_)) => Err(Failed::from(format!(
                        "{name} agrees with kustomize now: remove it from tests/shared_conformance_known.txt"
                    ))),
                    (Err((_, why)), None) => Err(Failed::from(why)),
                    (Err((true, _)), Some(Known::Refused)) => Ok(()),
                    (Err((false, why)), Some(Known::Refused)) => Err(Failed::from(format!(
                        "listed as refused, but trueup does not refuse it by name: {why}"
                    ))),
                    (Err((true, why)), Some(Known::Disagrees)) => Err(Failed::from(format!(
                        "now refused by name: list it as refused in tests/shared_conformance_known.txt ({why})"
                    ))),
                    (Err((false, _)), Some(Known::Disagrees)) => Ok(()),
                }
            }));
        }
    }
    if !seen.is_empty() {
        let stale: Vec<String> = known
            .keys()
            .filter(|k| !seen.contains(k))
            .cloned()
            .collect();
        trials.push(Trial::test("known-list-names-existing-cases", move || {
            if stale.is_empty() {
                Ok(())
            } else {
                Err(Failed::from(format!("no such cases: {stale:?}")))
            }
        }));
    }
    libtest_mimic::run(&args, trials).exit();
}

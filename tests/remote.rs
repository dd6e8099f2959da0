//! Remote resources, fetched only from a local bare repository (`file://`)
//! and a loopback HTTP server: a Git base and component at a tag, a file,
//! a generator file and a patch over HTTP, compared byte for byte with what
//! the real kustomize printed for the same inputs (`tests/remote/expected.yaml`,
//! from `tests/remote/make-golden.sh`); refusals, errors and cycles.

// A shared helper file: this test uses part of it.
#[allow(dead_code)]
#[path = "common/git_scratch.rs"]
mod git_scratch;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};

use git_scratch::{Scratch, git, write};
use trueup_core::{BuildOptions, ErrorKind, RemoteAccess, build_opts};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/remote")
}

/// Serves the files of `tests/remote/http` on a loopback port (404 for
/// anything else), for as long as the test process runs. Returns `host:port`.
fn serve_http() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binds a loopback port");
    let address = listener.local_addr().expect("an address").to_string();
    let root = fixture().join("http");
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(&stream);
            let mut request = String::new();
            if reader.read_line(&mut request).is_err() {
                continue;
            }
            // Headers up to the empty line.
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let path = request.split_whitespace().nth(1).unwrap_or("/");
            let name = path.trim_start_matches('/');
            let file = root.join(name);
            let (status, body) = match std::fs::read(&file) {
                Ok(body) if !name.contains("..") && !name.is_empty() => ("200 OK", body),
                _ => ("404 Not Found", b"not found".to_vec()),
            };
            let mut stream = &stream;
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(&body);
        }
    });
    address
}

/// A bare repository of `tests/remote/repo`: tag `v1.4.0` on the first
/// commit, and a later commit on `main` with another image.
fn bare_repo(name: &str) -> (Scratch, PathBuf) {
    let work = Scratch::repo(&format!("remote-src-{name}"));
    copy_tree(&fixture().join("repo"), &work.0);
    git(&work.0, &["add", "-A"]);
    git(&work.0, &["commit", "-qm", "base"]);
    git(&work.0, &["tag", "v1.4.0"]);
    let deployment = work.0.join("base/deployment.yaml");
    let text = std::fs::read_to_string(&deployment).expect("reads");
    std::fs::write(&deployment, text.replace("1.4.0", "1.5.0-rc.1")).expect("writes");
    git(&work.0, &["commit", "-qam", "next"]);
    let bare = work.0.with_extension("git");
    let _ = std::fs::remove_dir_all(&bare);
    git(
        &work.0,
        &[
            "clone",
            "-q",
            "--bare",
            work.0.to_str().expect("UTF-8"),
            bare.to_str().expect("UTF-8"),
        ],
    );
    (work, bare)
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("lists") {
        let entry = entry.expect("an entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a type").is_dir() {
            std::fs::create_dir_all(&target).expect("creates");
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copies");
        }
    }
}

fn options(cache: &Path) -> BuildOptions {
    BuildOptions {
        cache_dir: Some(cache.to_owned()),
        ..BuildOptions::default()
    }
}

#[test]
fn git_and_http_resources_render_as_kustomize_renders_them() {
    let (_work, bare) = bare_repo("golden");
    let http = serve_http();
    let app = Scratch(bare.with_extension("app"));
    let template =
        std::fs::read_to_string(fixture().join("app/kustomization.yaml.in")).expect("reads");
    write(
        &app.0,
        "kustomization.yaml",
        &template
            .replace("{REPO}", bare.to_str().expect("UTF-8"))
            .replace("{HTTP}", &http),
    );
    let cache = Scratch(bare.with_extension("cache"));
    let set = build_opts(&app.0, &options(&cache.0)).expect("renders");
    let want = std::fs::read_to_string(fixture().join("expected.yaml")).expect("golden");
    assert_eq!(set.to_yaml(), want);

    // The cache holds one repository, fetched once for base and component.
    let cached: Vec<_> = std::fs::read_dir(cache.0.join("git"))
        .expect("a cache")
        .flatten()
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert_eq!(cached.len(), 1);

    // Without a ref: the default branch, which moved on.
    write(
        &app.0,
        "kustomization.yaml",
        &format!("resources:\n- file://{}//base\n", bare.display()),
    );
    let set = build_opts(&app.0, &options(&cache.0)).expect("renders");
    assert!(set.to_yaml().contains("catalog:1.5.0-rc.1"));
}

#[test]
fn remote_targets_are_refused_by_name_when_network_access_is_off() {
    let app = Scratch(std::env::temp_dir().join(format!("trueup-offline-{}", std::process::id())));
    for entry in [
        "https://github.com/org/repo//deploy?ref=v1",
        "https://raw.example.com/x.yaml",
        "git@github.com:org/repo.git/deploy",
    ] {
        write(
            &app.0,
            "kustomization.yaml",
            &format!("resources:\n- {entry}\n"),
        );
        let options = BuildOptions {
            remote: RemoteAccess::Refused,
            ..BuildOptions::default()
        };
        let err = build_opts(&app.0, &options).expect_err("refused");
        assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
        assert!(
            err.to_string().contains(entry) && err.to_string().contains("network access is off"),
            "{err}"
        );
    }
    // A generator file given as a URL is refused too.
    write(
        &app.0,
        "kustomization.yaml",
        "configMapGenerator:\n- name: x\n  files:\n  - https://example.com/a.properties\n",
    );
    let options = BuildOptions {
        remote: RemoteAccess::Refused,
        ..BuildOptions::default()
    };
    let err = build_opts(&app.0, &options).expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
}

#[test]
fn missing_files_refs_and_cycles_are_errors_naming_them() {
    let (work, bare) = bare_repo("errors");
    let http = serve_http();
    let app = Scratch(bare.with_extension("app"));
    let cache = Scratch(bare.with_extension("cache"));

    write(
        &app.0,
        "kustomization.yaml",
        &format!("resources:\n- http://{http}/no-such-file.yaml\n"),
    );
    let err = build_opts(&app.0, &options(&cache.0)).expect_err("404");
    assert!(
        err.to_string().contains("no-such-file.yaml") && err.to_string().contains("404"),
        "{err}"
    );

    write(
        &app.0,
        "kustomization.yaml",
        &format!("resources:\n- file://{}//base?ref=v9.9.9\n", bare.display()),
    );
    let err = build_opts(&app.0, &options(&cache.0)).expect_err("no such tag");
    assert!(err.to_string().contains("\"v9.9.9\""), "{err}");

    // A kustomization in the repository that includes itself.
    let url = format!("file://{}//loop?ref=main", bare.display());
    write(
        &work.0,
        "loop/kustomization.yaml",
        &format!("resources:\n- {url}\n"),
    );
    git(&work.0, &["add", "-A"]);
    git(&work.0, &["commit", "-qm", "loop"]);
    git(
        &work.0,
        &["push", "-q", bare.to_str().expect("UTF-8"), "main"],
    );
    write(
        &app.0,
        "kustomization.yaml",
        &format!("resources:\n- {url}\n"),
    );
    let err = build_opts(&app.0, &options(&cache.0)).expect_err("a cycle");
    assert!(err.to_string().contains("cycle detected"), "{err}");
}

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

/// A bare repository, a loopback server, an app folder and a cache, all
/// removed at the end.
struct Setup {
    work: Scratch,
    bare: PathBuf,
    http: String,
    app: Scratch,
    cache: Scratch,
}

impl Setup {
    fn new(name: &str) -> Setup {
        let (work, bare) = bare_repo(name);
        Setup {
            http: serve_http(),
            app: Scratch(bare.with_extension("app")),
            cache: Scratch(bare.with_extension("cache")),
            work,
            bare,
        }
    }

    /// Writes the app's kustomization.
    fn kustomization(&self, text: &str) {
        write(&self.app.0, "kustomization.yaml", text);
    }

    /// The kustomization of `template` with the repository and server filled in.
    fn fill(&self, template: &str) -> String {
        template
            .replace("{REPO}", self.bare.to_str().expect("UTF-8"))
            .replace("{HTTP}", &self.http)
    }

    fn build(&self) -> trueup_core::Result<trueup_core::ManifestSet> {
        build_opts(&self.app.0, &options(&self.cache.0))
    }
}

fn fixture_text(name: &str) -> String {
    std::fs::read_to_string(fixture().join(name)).expect("a fixture file")
}

fn options(cache: &Path) -> BuildOptions {
    BuildOptions {
        cache_dir: Some(cache.to_owned()),
        ..BuildOptions::default()
    }
}

#[test]
fn git_and_http_resources_render_as_kustomize_renders_them() {
    let setup = Setup::new("golden");
    setup.kustomization(&setup.fill(&fixture_text("app/kustomization.yaml.in")));
    let set = setup.build().expect("renders");
    assert_eq!(set.to_yaml(), fixture_text("expected.yaml"));

    // The cache holds one repository, fetched once for base and component.
    let cached: Vec<_> = std::fs::read_dir(setup.cache.0.join("git"))
        .expect("a cache")
        .flatten()
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert_eq!(cached.len(), 1);

    // Without a ref: the default branch, which moved on.
    setup.kustomization(&format!(
        "resources:\n- file://{}//base\n",
        setup.bare.display()
    ));
    let set = setup.build().expect("renders");
    assert!(set.to_yaml().contains("catalog:1.5.0-rc.1"));
}

#[test]
fn origins_name_the_repository_and_reference_as_kustomize_does() {
    let setup = Setup::new("origins");
    setup.kustomization(&setup.fill(&fixture_text("app-origins/kustomization.yaml.in")));
    let set = setup.build().expect("renders");
    assert_eq!(
        set.to_yaml(),
        setup.fill(&fixture_text("expected-origins.yaml"))
    );
}

#[test]
fn a_remote_component_listed_in_resources_is_an_error() {
    let setup = Setup::new("component");
    setup.kustomization(&format!(
        "resources:\n- file://{}//components/probes?ref=v1.4.0\n",
        setup.bare.display()
    ));
    let err = setup.build().expect_err("a component");
    assert!(err.to_string().contains("list it in components"), "{err}");
}

#[test]
fn local_names_with_any_characters_are_not_urls() {
    let app = Scratch(std::env::temp_dir().join(format!("trueup-names-{}", std::process::id())));
    write(
        &app.0,
        "kustomization.yaml",
        "resources:\n- deploy-ñ.yaml\nconfigMapGenerator:\n- name: cfg\n  files:\n  - 本番.txt\n",
    );
    write(
        &app.0,
        "deploy-ñ.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
    );
    write(&app.0, "本番.txt", "x");
    let set = build_opts(&app.0, &BuildOptions::default()).expect("renders");
    assert_eq!(set.len(), 2);
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
    let setup = Setup::new("errors");
    setup.kustomization(&setup.fill("resources:\n- http://{HTTP}/no-such-file.yaml\n"));
    let err = setup.build().expect_err("404");
    assert!(
        err.to_string().contains("no-such-file.yaml") && err.to_string().contains("404"),
        "{err}"
    );

    // Neither a file nor a repository: both reasons, the file named once.
    setup.kustomization(&setup.fill("resources:\n- http://{HTTP}/org/repo/missing.yaml\n"));
    let err = setup.build().expect_err("neither");
    let message = err.to_string();
    assert!(
        message.contains("as a file over HTTP: HTTP status 404")
            && message.matches("kustomization.yaml").count() == 1,
        "{message}"
    );

    setup.kustomization(&setup.fill("resources:\n- file://{REPO}//base?ref=v9.9.9\n"));
    let err = setup.build().expect_err("no such tag");
    assert!(err.to_string().contains("\"v9.9.9\""), "{err}");

    // A kustomization in the repository that includes itself (fetched anew:
    // the cached clone is brought up to date).
    let entry = setup.fill("resources:\n- file://{REPO}//loop?ref=main\n");
    write(&setup.work.0, "loop/kustomization.yaml", &entry);
    git(&setup.work.0, &["add", "-A"]);
    git(&setup.work.0, &["commit", "-qm", "loop"]);
    git(
        &setup.work.0,
        &["push", "-q", setup.bare.to_str().expect("UTF-8"), "main"],
    );
    setup.kustomization(&entry);
    let err = setup.build().expect_err("a cycle");
    assert!(err.to_string().contains("cycle detected"), "{err}");
}

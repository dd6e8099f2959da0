//! Remote resources as kustomize fetches them: files over HTTP(S), and Git
//! repositories (`https://github.com/org/repo//path?ref=v1`,
//! `git@host:org/repo.git/path`, `ssh://`, `file://`), parsed by
//! kustomize's rules (its `RepoSpec`), cloned bare with gix into a cache
//! (one clone per URL, fetched into when a build needs a reference again)
//! and read straight from Git objects at the revision asked for. Not
//! followed, unlike kustomize: submodules, and symbolic links inside the
//! fetched repository (both are errors naming the path).
//!
//! Network access can be turned off ([`RemoteAccess::Refused`]): a build
//! that needs a remote target then fails, naming it.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::git::{Repo, TreeSource};

/// Whether a build may fetch remote resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RemoteAccess {
    /// Fetch them, as `kustomize build` does.
    #[default]
    Allowed,
    /// Refuse them by name: for builds that must not touch the network.
    Refused,
}

impl From<bool> for RemoteAccess {
    /// `true` allows remote resources, `false` refuses them.
    fn from(allowed: bool) -> RemoteAccess {
        if allowed {
            RemoteAccess::Allowed
        } else {
            RemoteAccess::Refused
        }
    }
}

/// The most bytes one remote file may have.
const MAX_HTTP_BYTES: u64 = 64 << 20;
/// How long one HTTP request may take.
const HTTP_TIMEOUT: Duration = Duration::from_secs(30);

/// A Git repository target, as kustomize's `RepoSpec` parses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoSpec {
    /// What to clone: `https://github.com/org/repo`, `git@host:org/repo.git`.
    pub clone_url: String,
    /// The folder in the repository (empty for its root).
    pub path: String,
    /// `?ref=` (or `?version=`): branch, tag or commit; empty for the default branch.
    pub reference: String,
    /// `?timeout=`: seconds (or a Go duration such as `2m`) a fetch may take.
    pub timeout: Option<Duration>,
}

const FILE_SCHEME: &str = "file://";

/// Parses a kustomization entry as a Git repository target; `None` when it
/// is not one (kustomize's `NewRepoSpecFromURL` failing).
pub fn repo_spec(entry: &str) -> Option<RepoSpec> {
    if entry.starts_with('/') {
        return None;
    }
    let (rest, query) = entry.split_once('?').unwrap_or((entry, ""));
    let (reference, timeout) = query_ref(query);
    let (host, rest) = extract_host(rest)?;
    let segments = if host.starts_with(FILE_SCHEME) {
        None
    } else {
        Some(2)
    };
    let (repo_path, root) = split_path(rest, segments)?;
    if repo_path.is_empty() {
        return None;
    }
    let root = root.trim_start_matches('/').to_owned();
    if crate::source::normalize(&root).starts_with("..") {
        return None;
    }
    Some(RepoSpec {
        clone_url: format!("{host}{repo_path}"),
        path: root,
        reference,
        timeout,
    })
}

/// The reference (`ref=` wins over `version=`, as in kustomize) and the
/// timeout of a query, its values percent-decoded as Go's `url.ParseQuery`
/// decodes them.
fn query_ref(query: &str) -> (String, Option<Duration>) {
    let mut reference = String::new();
    let mut version = String::new();
    let mut timeout = None;
    for pair in query.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let v = percent_decode(v);
        match k {
            "ref" if !v.is_empty() => reference = v,
            "version" if !v.is_empty() => version = v,
            "timeout" => timeout = go_duration(&v),
            _ => {}
        }
    }
    let reference = if reference.is_empty() {
        version
    } else {
        reference
    };
    (reference, timeout)
}

/// `%2F` → `/`, `+` → space; text that does not decode stays as written.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let hex_digit = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'+', _, _) => out.push(b' '),
            (b'%', Some(&hi), Some(&lo)) if hex_digit(hi).is_some() && hex_digit(lo).is_some() => {
                let value = hex_digit(hi).unwrap_or(0) * 16 + hex_digit(lo).unwrap_or(0);
                out.push(value as u8);
                i += 2;
            }
            (b, _, _) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_owned())
}

/// kustomize's timeout: whole seconds, or a Go duration (`90s`, `2m`).
fn go_duration(text: &str) -> Option<Duration> {
    if let Ok(seconds) = text.parse::<u64>() {
        return (seconds > 0).then(|| Duration::from_secs(seconds));
    }
    let (number, unit) = text.split_at(text.find(|c: char| c.is_ascii_alphabetic())?);
    let value: f64 = number.parse().ok()?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => return None,
    };
    (seconds > 0.0).then(|| Duration::from_secs_f64(seconds))
}

/// `s` without an ASCII `prefix` matched in any case (byte-wise, so any
/// text is safe).
fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.as_bytes().get(..prefix.len())?;
    // The prefix is ASCII, so a match ends on a character boundary.
    head.eq_ignore_ascii_case(prefix.as_bytes())
        .then(|| &s[prefix.len()..])
}

/// kustomize's extractHost: the scheme, user and host, and the rest.
fn extract_host(entry: &str) -> Option<(String, &str)> {
    let entry = strip_prefix_ignore_case(entry, "git::").unwrap_or(entry);
    let (scheme, rest) = ["ssh://", "https://", "http://", FILE_SCHEME]
        .iter()
        .find_map(|p| strip_prefix_ignore_case(entry, p).map(|rest| (*p, rest)))
        .unwrap_or(("", entry));
    let user_end = rest
        .find('@')
        .filter(|&at| {
            let user = &rest[..at];
            user.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && user.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        .map_or(0, |at| at + 1);
    let (user, rest) = rest.split_at(user_end);
    let lower = rest.to_ascii_lowercase();
    let github = lower.starts_with("github.com/") || lower.starts_with("github.com:");
    let scp = scheme.is_empty() && (!user.is_empty() || github);
    if scheme.is_empty() && !scp {
        return None;
    }
    if scheme == FILE_SCHEME {
        return Some((
            scheme.to_owned(),
            &entry[entry.len() - rest.len() - user.len()..],
        ));
    }
    let mut separator = rest.find('/');
    if scp
        && let Some(colon) = rest.find(':')
        && (separator.is_none() || (colon > 0 && Some(colon) < separator))
    {
        separator = Some(colon);
    }
    let (mut host, rest) = match separator {
        Some(i) => (rest[..=i].to_owned(), &rest[i + 1..]),
        None => (rest.to_owned(), ""),
    };
    let (mut scheme, mut user) = (scheme.to_owned(), user.to_owned());
    if github {
        if scheme.starts_with("ssh://") || !user.is_empty() {
            scheme = String::new();
            host = "github.com:".to_owned();
        } else {
            scheme = "https://".to_owned();
            user = String::new();
            host = "github.com/".to_owned();
        }
    }
    if host.is_empty() {
        return None;
    }
    Some((format!("{scheme}{user}{host}"), rest))
}

/// kustomize's parsePathParts: `_git/`, `//` or `.git` end the repository
/// path; otherwise its first `segments` segments (all for `file://`).
fn split_path(path: &str, segments: Option<usize>) -> Option<(String, String)> {
    if let Some(i) = path.find("_git/") {
        let end = i + "_git/".len();
        let mut sub = path[end..].splitn(2, '/');
        let repo = sub.next().unwrap_or_default();
        return Some((
            format!("{}{repo}", &path[..end]),
            sub.next().unwrap_or_default().to_owned(),
        ));
    }
    if let Some(i) = path.find("//") {
        return Some((path[..i].to_owned(), path[i + 2..].to_owned()));
    }
    if let Some(i) = path.find(".git") {
        let end = i + ".git".len();
        return Some((path[..end].to_owned(), path[end..].to_owned()));
    }
    match segments {
        None => Some((path.to_owned(), String::new())),
        Some(n) => {
            let parts: Vec<&str> = path.split('/').collect();
            (parts.len() >= n).then(|| (parts[..n].join("/"), parts[n..].join("/")))
        }
    }
}

/// Whether an entry is a URL kustomize fetches over HTTP(S) first.
pub fn is_http(entry: &str) -> bool {
    strip_prefix_ignore_case(entry, "https://").is_some()
        || strip_prefix_ignore_case(entry, "http://").is_some()
}

/// An HTTP fetch that did not give a file.
#[derive(Debug)]
pub(crate) enum HttpFailure {
    /// The server answered with this status.
    Status(u16),
    /// Anything else (connection, size, ...).
    Other(String),
}

/// What a failed HTTP fetch says.
pub(crate) fn describe(failure: &HttpFailure) -> String {
    match failure {
        HttpFailure::Status(code) => format!("HTTP status {code}"),
        HttpFailure::Other(message) => message.clone(),
    }
}

/// Fetches a file over HTTP(S), as kustomize's loader does.
pub(crate) fn fetch_http(url: &str) -> Result<Vec<u8>, HttpFailure> {
    static CLIENT: OnceLock<Result<reqwest::blocking::Client, String>> = OnceLock::new();
    let client = CLIENT
        .get_or_init(|| {
            reqwest::blocking::Client::builder()
                .timeout(HTTP_TIMEOUT)
                .user_agent(concat!("trueup/", env!("CARGO_PKG_VERSION")))
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| HttpFailure::Other(e.clone()))?;
    let response = client
        .get(url)
        .send()
        .map_err(|e| HttpFailure::Other(e.without_url().to_string()))?;
    let status = response.status();
    if !status.is_success() {
        return Err(HttpFailure::Status(status.as_u16()));
    }
    let mut body = Vec::new();
    response
        .take(MAX_HTTP_BYTES + 1)
        .read_to_end(&mut body)
        .map_err(|e| HttpFailure::Other(e.to_string()))?;
    if body.len() as u64 > MAX_HTTP_BYTES {
        return Err(HttpFailure::Other(format!(
            "larger than {} MiB",
            MAX_HTTP_BYTES >> 20
        )));
    }
    Ok(body)
}

/// Where fetched repositories are kept: `TRUEUP_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/trueup`, else `~/.cache/trueup`, else the temporary folder.
pub fn default_cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("TRUEUP_CACHE_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("trueup");
    }
    if let Some(home) = std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(home).join(".cache").join("trueup");
    }
    std::env::temp_dir().join("trueup-cache")
}

/// Bytes as lowercase hexadecimal.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One lock per cached repository, so that parallel builds fetch it once.
fn repo_lock(dir: &Path) -> Arc<Mutex<()>> {
    static LOCKS: OnceLock<Mutex<HashMap<PathBuf, Arc<Mutex<()>>>>> = OnceLock::new();
    let mut locks = LOCKS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    locks.entry(dir.to_owned()).or_default().clone()
}

/// The (cached repository, reference)s fetched by this process, and their commit.
fn fetched() -> &'static Mutex<HashMap<(PathBuf, String), String>> {
    static FETCHED: OnceLock<Mutex<HashMap<(PathBuf, String), String>>> = OnceLock::new();
    FETCHED.get_or_init(Default::default)
}

/// How long one fetch of a repository may take (kustomize's `?timeout=`
/// sets it; trueup fetches whole histories, so its default is longer than
/// kustomize's 27 seconds for a shallow clone).
const DEFAULT_FETCH_TIMEOUT: Duration = Duration::from_secs(300);

/// The files of a repository target at its revision. The repository is
/// cloned bare once into the cache and afterwards brought up to date by
/// fetching (never deleted, so concurrent builds keep reading it); a
/// reference is fetched once per process, and a commit id the cache holds
/// already needs no network at all.
pub(crate) fn fetch_repo(spec: &RepoSpec, cache: &Path) -> Result<TreeSource, String> {
    let key: [u8; 32] = Sha256::digest(spec.clone_url.as_bytes()).into();
    let dir = cache.join("git").join(hex(&key[..16]));
    let lock = repo_lock(&dir);
    let _guard = lock.lock().unwrap_or_else(|e| e.into_inner());
    let memo = (dir.clone(), spec.reference.clone());
    if let Some(commit) = fetched()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&memo)
        .cloned()
    {
        return open_at(&dir, &commit);
    }
    let pinned =
        spec.reference.len() == 40 && spec.reference.chars().all(|c| c.is_ascii_hexdigit());
    let commit = if dir.join("HEAD").is_file() {
        match resolve(&dir, &spec.reference).ok().filter(|_| pinned) {
            Some(commit) => commit,
            None => {
                with_timeout(spec.timeout, |interrupt| update(&dir, interrupt))?;
                resolve(&dir, &spec.reference)?
            }
        }
    } else {
        with_timeout(spec.timeout, |interrupt| {
            clone_into(&spec.clone_url, &dir, interrupt)
        })?;
        resolve(&dir, &spec.reference)?
    };
    fetched()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(memo, commit.clone());
    open_at(&dir, &commit)
}

/// Runs `f` with a flag that is raised (interrupting gix) after `timeout`.
fn with_timeout<T>(
    timeout: Option<Duration>,
    f: impl FnOnce(&AtomicBool) -> Result<T, String>,
) -> Result<T, String> {
    let timeout = timeout.unwrap_or(DEFAULT_FETCH_TIMEOUT);
    let interrupt = Arc::new(AtomicBool::new(false));
    let (done, wait) = std::sync::mpsc::channel::<()>();
    let flag = Arc::clone(&interrupt);
    std::thread::spawn(move || {
        if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = wait.recv_timeout(timeout) {
            flag.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    });
    let result = f(&interrupt);
    drop(done);
    if interrupt.load(std::sync::atomic::Ordering::Relaxed) {
        return Err(format!("timed out after {} s", timeout.as_secs()));
    }
    result
}

fn open_at(dir: &Path, commit: &str) -> Result<TreeSource, String> {
    let repo = Repo::open(dir).map_err(|e| e.to_string())?;
    repo.tree_source(commit).map_err(|e| e.to_string())
}

/// A bare clone of `url` at `dir`, made in a temporary folder beside it and
/// moved into place (another process that got there first wins).
fn clone_into(url: &str, dir: &Path, interrupt: &AtomicBool) -> Result<(), String> {
    let parent = dir.parent().ok_or("no cache folder")?;
    std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    let staging = parent.join(format!(
        ".{}-{}-{:?}",
        dir.file_name().and_then(|n| n.to_str()).unwrap_or("repo"),
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::remove_dir_all(&staging);
    let mut prepare = gix::prepare_clone_bare(url, &staging).map_err(|e| e.to_string())?;
    prepare
        .fetch_only(gix::progress::Discard, interrupt)
        .map_err(|e| format!("fetching {}: {e}", shown(url)))?;
    drop(prepare);
    if std::fs::rename(&staging, dir).is_err() {
        let _ = std::fs::remove_dir_all(&staging);
        if !dir.join("HEAD").is_file() {
            return Err(format!(
                "{}: could not move the clone into place",
                dir.display()
            ));
        }
    }
    Ok(())
}

/// Fetches what changed since the cached clone was made.
fn update(dir: &Path, interrupt: &AtomicBool) -> Result<(), String> {
    let repo = gix::open(dir).map_err(|e| e.to_string())?;
    // A bare clone maps branches and tags onto themselves.
    let remote = repo
        .find_default_remote(gix::remote::Direction::Fetch)
        .ok_or("the cached clone has no remote")?
        .map_err(|e| e.to_string())?
        .with_refspecs(
            ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"],
            gix::remote::Direction::Fetch,
        )
        .map_err(|e| e.to_string())?;
    remote
        .connect(gix::remote::Direction::Fetch)
        .map_err(|e| e.to_string())?
        .prepare_fetch(gix::progress::Discard, Default::default())
        .map_err(|e| e.to_string())?
        .receive(gix::progress::Discard, interrupt)
        .map_err(|e| format!("fetching: {e}"))?;
    Ok(())
}

/// The commit a reference names in a bare clone: a commit id, a tag, a
/// branch, or (empty) the default branch.
fn resolve(dir: &Path, reference: &str) -> Result<String, String> {
    let repo = gix::open(dir).map_err(|e| e.to_string())?;
    let candidates: Vec<String> = if reference.is_empty() {
        vec!["HEAD".to_owned()]
    } else {
        vec![
            format!("refs/tags/{reference}"),
            format!("refs/heads/{reference}"),
            format!("refs/remotes/origin/{reference}"),
            reference.to_owned(),
        ]
    };
    for candidate in &candidates {
        if let Ok(id) = repo.rev_parse_single(candidate.as_str())
            && let Ok(object) = id.object()
            && let Ok(commit) = object.peel_to_commit()
        {
            return Ok(commit.id.to_string());
        }
    }
    Err(format!(
        "{} has no branch, tag or commit {reference:?}",
        dir.display()
    ))
}

/// A remote target as messages show it: a password or token in the URL
/// (`https://user:token@host/...`) written `***`.
pub(crate) fn shown(entry: &str) -> std::borrow::Cow<'_, str> {
    let Some(scheme_end) = entry.find("://").map(|i| i + 3) else {
        return entry.into();
    };
    let authority_end = entry[scheme_end..]
        .find(['/', '?', '#'])
        .map_or(entry.len(), |i| scheme_end + i);
    let Some(at) = entry[scheme_end..authority_end]
        .rfind('@')
        .map(|i| scheme_end + i)
    else {
        return entry.into();
    };
    let user_info = &entry[scheme_end..at];
    let user = match user_info.split_once(':') {
        Some((user, _)) => format!("{user}:***"),
        None => "***".to_owned(),
    };
    format!("{}{user}{}", &entry[..scheme_end], &entry[at..]).into()
}

/// How errors name a remote target refused.
pub(crate) fn refused(entry: &str, file: &str) -> Error {
    let entry = shown(entry);
    Error::Unsupported {
        field: format!("remote {entry} (network access is off)"),
        file: file.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(entry: &str) -> (String, String, String) {
        let spec = repo_spec(entry).unwrap_or_else(|| panic!("{entry} parses"));
        (spec.clone_url, spec.path, spec.reference)
    }

    #[test]
    fn parses_as_kustomize() {
        // From kustomize's repospec_test.go.
        let cases = [
            (
                "https://git-codecommit.us-east-2.amazonaws.com/someorg/somerepo/somedir",
                "https://git-codecommit.us-east-2.amazonaws.com/someorg/somerepo",
                "somedir",
                "",
            ),
            (
                "https://fabrikops2.visualstudio.com/someorg/somerepo?ref=master",
                "https://fabrikops2.visualstudio.com/someorg/somerepo",
                "",
                "master",
            ),
            (
                "http://github.com/someorg/somerepo/somedir",
                "https://github.com/someorg/somerepo",
                "somedir",
                "",
            ),
            (
                "git@github.com:someorg/somerepo/somedir",
                "git@github.com:someorg/somerepo",
                "somedir",
                "",
            ),
            (
                "git@gitlab2.sqtools.ru:infra/kubernetes/thanos-base.git?ref=v0.1.0",
                "git@gitlab2.sqtools.ru:infra/kubernetes/thanos-base.git",
                "",
                "v0.1.0",
            ),
            (
                "git@bitbucket.org:company/project.git//path?ref=branch",
                "git@bitbucket.org:company/project.git",
                "path",
                "branch",
            ),
            (
                "ssh://git@bitbucket.org/company/project.git//path?ref=branch",
                "ssh://git@bitbucket.org/company/project.git",
                "path",
                "branch",
            ),
            (
                "https://itfs.mycompany.com/collection/project/_git/somerepos/somedir?version=v1.0.0",
                "https://itfs.mycompany.com/collection/project/_git/somerepos",
                "somedir",
                "v1.0.0",
            ),
            (
                "git::https://itfs.mycompany.com/collection/project/_git/somerepos",
                "https://itfs.mycompany.com/collection/project/_git/somerepos",
                "",
                "",
            ),
            (
                "git@github.com/someorg/somerepo/somepath",
                "git@github.com:someorg/somerepo",
                "somepath",
                "",
            ),
            (
                "https://github.com/kubernetes-sigs/kustomize//examples/multibases/dev/?ref=v1.0.6",
                "https://github.com/kubernetes-sigs/kustomize",
                "examples/multibases/dev/",
                "v1.0.6",
            ),
            (
                "file://a/b/c/someRepo.git/somepath?ref=someBranch",
                "file://a/b/c/someRepo.git",
                "somepath",
                "someBranch",
            ),
            (
                "file:///a/b/c/someRepo?ref=someBranch",
                "file:///a/b/c/someRepo",
                "",
                "someBranch",
            ),
            (
                "ssh://git@github.com/kubernetes-sigs/kustomize//examples/multibases/dev?ref=v1.0.6",
                "git@github.com:kubernetes-sigs/kustomize",
                "examples/multibases/dev",
                "v1.0.6",
            ),
            (
                "github.com/argoproj/argo-cd/manifests/cluster-install?ref=v2.4.0",
                "https://github.com/argoproj/argo-cd",
                "manifests/cluster-install",
                "v2.4.0",
            ),
            (
                "https://example.org/path/to/repo//examples/multibases/dev",
                "https://example.org/path/to/repo",
                "examples/multibases/dev",
                "",
            ),
        ];
        for (entry, url, path, reference) in cases {
            assert_eq!(
                parsed(entry),
                (url.to_owned(), path.to_owned(), reference.to_owned()),
                "{entry}"
            );
        }
        for local in [
            "base",
            "../base",
            "/abs/path",
            "overlays/prod",
            "example.com/org/repo",
        ] {
            assert!(repo_spec(local).is_none(), "{local} is not a repository");
        }
        assert!(
            repo_spec("https://github.com/org/repo//../x").is_none(),
            "exits the repo"
        );
    }
}

//! The crate's one error type. Every message names where the problem is: the
//! file, the document in it, the line, and the field when known.

use std::fmt;

/// Where in the input a problem is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    /// The file, as the caller named it (relative to a kustomization root when rendering).
    pub file: Option<String>,
    /// The 1-based number of the YAML document in the file (`---` starts the next).
    pub document: Option<usize>,
    /// The 1-based line.
    pub line: Option<usize>,
    /// The 1-based column (in characters), when known.
    pub column: Option<usize>,
}

impl Location {
    /// A location that names a file only.
    pub fn file(file: impl Into<String>) -> Self {
        Location {
            file: Some(file.into()),
            ..Location::default()
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::with_capacity(3);
        if let Some(file) = &self.file {
            parts.push(file.clone());
        }
        if let Some(doc) = self.document {
            parts.push(format!("document {doc}"));
        }
        if let Some(line) = self.line {
            parts.push(format!("line {line}"));
        }
        if let Some(column) = self.column {
            parts.push(format!("column {column}"));
        }
        if parts.is_empty() {
            f.write_str("<input>")
        } else {
            f.write_str(&parts.join(", "))
        }
    }
}

/// Everything that can go wrong in trueup.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The text is not valid YAML, or breaks a parse limit.
    #[error("{location}: {message}")]
    Yaml {
        /// Where.
        location: Location,
        /// What is wrong.
        message: String,
    },
    /// A YAML document is not a Kubernetes object (no `kind`, no `metadata.name`, ...).
    #[error("{location}: {message}")]
    Manifest {
        /// Where.
        location: Location,
        /// What is wrong.
        message: String,
    },
    /// A kustomization cannot be rendered.
    #[error("{file}: {message}")]
    Overlay {
        /// The kustomization file (or resource) at fault.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// A diff's input (live objects, last-applied state, ignore rules) is wrong.
    #[error("{file}: {message}")]
    Diff {
        /// The input concerned.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// A release manifest cannot be read, or a release cannot be applied.
    #[error("{file}: {message}")]
    Release {
        /// The release manifest or overlay concerned.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// A promotion would set digests the environment it comes from never
    /// ran (production accepts only what staging ran).
    #[error(
        "{environment}: never ran {images} (no commit of its history renders it): promote what it ran, or allow it with a reason"
    )]
    Untested {
        /// The environment the promotion comes from.
        environment: String,
        /// The images, `name@digest`, comma-separated.
        images: String,
    },
    /// A Git operation failed: not a repository, unknown revision, path not
    /// in the tree, nothing to roll back...
    #[error("{repo}: {message}")]
    Git {
        /// The repository.
        repo: String,
        /// What went wrong.
        message: String,
    },
    /// A branch did not point where a write expected (someone else wrote
    /// first): read it again and retry.
    #[error("branch moved: {branch} is at {actual}, not {expected}; fetch it and retry")]
    BranchMoved {
        /// The branch.
        branch: String,
        /// Where the writer expected it.
        expected: String,
        /// Where it is.
        actual: String,
    },
    /// A revert does not apply cleanly.
    #[error("conflict: {message}")]
    Conflict {
        /// Which files conflict and why.
        message: String,
    },
    /// A kustomization uses a feature trueup does not render yet; it refuses
    /// rather than render something different from kustomize.
    #[error("not supported yet: {field} (in {file})")]
    Unsupported {
        /// The kustomization field.
        field: String,
        /// The kustomization file.
        file: String,
    },
    /// `trueup verify` could not run: its configuration is wrong.
    #[error("{file}: {message}")]
    Verify {
        /// The configuration file (with its line) or option.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// Reading a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The path that could not be read.
        path: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
}

/// The kind of an [`Error`], stable across versions: bindings map it to
/// exception classes (Python) and `code` strings (JavaScript).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// [`Error::Yaml`]
    Yaml,
    /// [`Error::Manifest`]
    Manifest,
    /// [`Error::Overlay`]
    Overlay,
    /// [`Error::Diff`]
    Diff,
    /// [`Error::Release`]
    Release,
    /// [`Error::Untested`]
    Untested,
    /// [`Error::Git`]
    Git,
    /// [`Error::BranchMoved`]
    BranchMoved,
    /// [`Error::Conflict`]
    Conflict,
    /// [`Error::Unsupported`]
    Unsupported,
    /// [`Error::Verify`]
    Verify,
    /// [`Error::Io`]
    Io,
}

impl ErrorKind {
    /// The stable code: `E_YAML`, `E_MANIFEST`, `E_OVERLAY`, `E_DIFF`, `E_RELEASE`, `E_UNTESTED`, `E_GIT`,
    /// `E_BRANCH_MOVED`, `E_CONFLICT`, `E_UNSUPPORTED`, `E_VERIFY`, `E_IO`.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::Yaml => "E_YAML",
            ErrorKind::Manifest => "E_MANIFEST",
            ErrorKind::Overlay => "E_OVERLAY",
            ErrorKind::Diff => "E_DIFF",
            ErrorKind::Release => "E_RELEASE",
            ErrorKind::Untested => "E_UNTESTED",
            ErrorKind::Git => "E_GIT",
            ErrorKind::BranchMoved => "E_BRANCH_MOVED",
            ErrorKind::Conflict => "E_CONFLICT",
            ErrorKind::Unsupported => "E_UNSUPPORTED",
            ErrorKind::Verify => "E_VERIFY",
            ErrorKind::Io => "E_IO",
        }
    }
}

impl Error {
    /// The kind of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Yaml { .. } => ErrorKind::Yaml,
            Error::Manifest { .. } => ErrorKind::Manifest,
            Error::Overlay { .. } => ErrorKind::Overlay,
            Error::Diff { .. } => ErrorKind::Diff,
            Error::Release { .. } => ErrorKind::Release,
            Error::Untested { .. } => ErrorKind::Untested,
            Error::Git { .. } => ErrorKind::Git,
            Error::BranchMoved { .. } => ErrorKind::BranchMoved,
            Error::Conflict { .. } => ErrorKind::Conflict,
            Error::Unsupported { .. } => ErrorKind::Unsupported,
            Error::Verify { .. } => ErrorKind::Verify,
            Error::Io { .. } => ErrorKind::Io,
        }
    }

    /// The file this error is about, when known.
    pub fn file(&self) -> Option<&str> {
        match self {
            Error::Yaml { location, .. } | Error::Manifest { location, .. } => {
                location.file.as_deref()
            }
            Error::Overlay { file, .. }
            | Error::Diff { file, .. }
            | Error::Release { file, .. }
            | Error::Unsupported { file, .. }
            | Error::Verify { file, .. } => Some(file),
            Error::Git { repo, .. } => Some(repo),
            Error::Untested { environment, .. } => Some(environment),
            Error::BranchMoved { .. } | Error::Conflict { .. } => None,
            Error::Io { path, .. } => Some(path),
        }
    }

    /// The line this error is about, when known.
    pub fn line(&self) -> Option<usize> {
        match self {
            Error::Yaml { location, .. } | Error::Manifest { location, .. } => location.line,
            _ => None,
        }
    }

    /// The column this error is about, when known.
    pub fn column(&self) -> Option<usize> {
        match self {
            Error::Yaml { location, .. } | Error::Manifest { location, .. } => location.column,
            _ => None,
        }
    }

    /// The fields particular to this kind of error, by name, as the
    /// bindings expose them: `field` ([`Error::Unsupported`]), `repo`
    /// ([`Error::Git`]), `branch`, `expected` and `actual`
    /// ([`Error::BranchMoved`]), `images` ([`Error::Untested`]).
    ///
    /// ```
    /// let err = trueup_core::Error::BranchMoved {
    ///     branch: "refs/heads/main".into(),
    ///     expected: "a".into(),
    ///     actual: "b".into(),
    /// };
    /// assert_eq!(err.details(), [("branch", "refs/heads/main"), ("expected", "a"), ("actual", "b")]);
    /// ```
    pub fn details(&self) -> Vec<(&'static str, &str)> {
        match self {
            Error::Unsupported { field, .. } => vec![("field", field)],
            Error::Git { repo, .. } => vec![("repo", repo)],
            Error::Untested { images, .. } => vec![("images", images)],
            Error::BranchMoved {
                branch,
                expected,
                actual,
            } => vec![
                ("branch", branch),
                ("expected", expected),
                ("actual", actual),
            ],
            _ => Vec::new(),
        }
    }

    /// Names the file this error came from, when it did not say yet.
    pub fn in_file(mut self, name: &str) -> Self {
        if let Error::Yaml { location, .. } | Error::Manifest { location, .. } = &mut self
            && location.file.is_none()
        {
            location.file = Some(name.to_owned());
        }
        self
    }

    /// Names files as the caller knows them: the engine names files relative
    /// to the folder it was given (`kustomization.yaml`, `../base/cm.yaml`,
    /// `.` for the folder itself); a caller that gave `apps/web/prod` wants
    /// `apps/web/prod/kustomization.yaml` and `apps/web/base/cm.yaml`.
    /// Absolute names, and every name when `folder` is `.` or empty, stay
    /// as they are.
    ///
    /// ```
    /// use trueup_core::Error;
    /// let err = trueup_core::build("no/such/overlay").unwrap_err();
    /// assert_eq!(err.file(), Some("no/such/overlay"));
    /// assert!(err.to_string().ends_with("does not exist"), "{err}");
    /// ```
    pub fn relative_to_folder(mut self, folder: &str) -> Self {
        let folder = folder.trim_end_matches('/');
        if folder.is_empty() || folder == "." {
            return self;
        }
        let rename = |name: &mut String| *name = join_display(folder, name);
        match &mut self {
            Error::Yaml { location, .. } | Error::Manifest { location, .. } => {
                if let Some(file) = &mut location.file {
                    rename(file);
                }
            }
            Error::Overlay { file, .. }
            | Error::Diff { file, .. }
            | Error::Release { file, .. }
            | Error::Unsupported { file, .. }
            | Error::Verify { file, .. }
            | Error::Io { path: file, .. } => rename(file),
            Error::Git { .. }
            | Error::BranchMoved { .. }
            | Error::Conflict { .. }
            | Error::Untested { .. } => {}
        }
        self
    }

    pub(crate) fn io(path: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn diff(file: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Diff {
            file: file.into(),
            message: message.into(),
        }
    }

    pub(crate) fn release(file: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Release {
            file: file.into(),
            message: message.into(),
        }
    }

    pub(crate) fn overlay(file: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Overlay {
            file: file.into(),
            message: message.into(),
        }
    }
}

/// The result type of trueup.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `folder` joined with a name relative to it, `..` and `.` resolved
/// lexically as far as `folder` allows (`a/b` + `../c` is `a/c`; `.` + `x`
/// is `x`); an absolute name stays as it is.
fn join_display(folder: &str, name: &str) -> String {
    if name.starts_with('/') {
        return name.to_owned();
    }
    let absolute = folder.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in folder.split('/').chain(name.split('/')) {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|last| *last != "..") => {
                parts.pop();
            }
            ".." if absolute => {}
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    match (absolute, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_owned(),
        (false, false) => joined,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_join_the_folder_the_caller_gave() {
        assert_eq!(join_display("apps/web/prod", "."), "apps/web/prod");
        assert_eq!(
            join_display("apps/web/prod", "kustomization.yaml"),
            "apps/web/prod/kustomization.yaml"
        );
        assert_eq!(
            join_display("apps/web/prod", "../../base/cm.yaml"),
            "apps/base/cm.yaml"
        );
        assert_eq!(
            join_display("prod", "../../base/cm.yaml"),
            "../base/cm.yaml"
        );
        assert_eq!(join_display("../prod", "../base"), "../base");
        assert_eq!(join_display("/srv/prod", "../../../x"), "/x");
        assert_eq!(join_display("prod", ".."), ".");
        assert_eq!(join_display("prod", "/etc/passwd"), "/etc/passwd");
        let err = Error::overlay("kustomization.yaml", "bad").relative_to_folder("./a/");
        assert_eq!(err.file(), Some("a/kustomization.yaml"));
    }
}

"""trueup: GitOps primitives over one Rust engine.

Render kustomizations byte-for-byte as ``kustomize build`` prints them, read
Kubernetes manifests as plain Python data, and diff desired state against the
cluster three-way (``trueup.diff``), and use Git as the source of truth:
render any revision, read an environment's history, commit with
compare-and-swap, roll back (``build(rev=...)``, ``history``, ``commit``,
``rollback``); carry a release (source revision and image digests, with a
canonical id) to an environment's overlay with the smallest possible edit
(``ReleaseManifest``, ``apply_release``).

>>> import trueup
>>> ms = trueup.load_manifests("apiVersion: v1\\nkind: Namespace\\nmetadata:\\n  name: prod\\n")
>>> ms.ids()
['/Namespace//prod']
>>> print(ms.to_yaml(), end="")
apiVersion: v1
kind: Namespace
metadata:
  name: prod
"""

from ._trueup import (
    BranchMovedError,
    ConflictError,
    DiffError,
    GitError,
    IoError,
    ManifestError,
    ManifestSet,
    OverlayError,
    ReleaseError,
    ReleaseManifest,
    TrueupError,
    UnsupportedError,
    UntestedError,
    VerifyError,
    VerifyReport,
    YamlError,
    __version__,
    apply_release,
    build,
    build_all,
    commit,
    diff,
    diff_revisions,
    evidence,
    evidence_markdown,
    history,
    load_manifests,
    load_manifests_file,
    promote,
    resolve,
    rollback,
    verify,
    verify_evidence,
)

__all__ = [
    "BranchMovedError",
    "ConflictError",
    "DiffError",
    "GitError",
    "IoError",
    "ManifestError",
    "ManifestSet",
    "OverlayError",
    "ReleaseError",
    "ReleaseManifest",
    "TrueupError",
    "UnsupportedError",
    "UntestedError",
    "VerifyError",
    "VerifyReport",
    "YamlError",
    "__version__",
    "apply_release",
    "build",
    "build_all",
    "commit",
    "diff",
    "diff_revisions",
    "evidence",
    "evidence_markdown",
    "history",
    "load_manifests",
    "load_manifests_file",
    "promote",
    "resolve",
    "rollback",
    "verify",
    "verify_evidence",
]

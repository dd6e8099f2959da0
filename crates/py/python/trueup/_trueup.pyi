"""Type stubs of the native module trueup._trueup (kept true to crates/py/src/lib.rs)."""

import os
from typing import Any, Iterator, Literal, Optional, Sequence, TypedDict, Union, final

__version__: str

class TrueupError(Exception):
    """Base class of every trueup error."""

    message: str
    """The full message: file, document, line, and what is wrong."""
    code: str
    """A stable code: E_YAML, E_MANIFEST, E_OVERLAY, E_DIFF, E_RELEASE, E_UNTESTED,
    E_GIT, E_BRANCH_MOVED, E_CONFLICT, E_UNSUPPORTED, E_VERIFY, E_IO."""
    file: Optional[str]
    """The file the error is about, when known."""
    line: Optional[int]
    """The 1-based line the error is about, when known."""
    column: Optional[int]
    """The 1-based column the error is about, when known."""

class YamlError(TrueupError):
    """The text is not valid YAML, or breaks a parse limit."""

class ManifestError(TrueupError):
    """A YAML document is not a Kubernetes object."""

class OverlayError(TrueupError):
    """A kustomization cannot be rendered."""

class UnsupportedError(OverlayError):
    """A kustomization uses a feature trueup does not render yet."""

    field: str
    """The kustomization field (``helmCharts``, ``vars``...)."""

class VerifyError(TrueupError):
    """``verify`` could not run: its configuration is wrong (the message names
    the file, line and field)."""

class DiffError(TrueupError):
    """A diff's input (live objects, last-applied state, ignore rules) is wrong."""

class ReleaseError(TrueupError):
    """A release manifest cannot be read, or a release cannot be applied."""

class UntestedError(ReleaseError):
    """A promotion would set digests the environment it comes from never ran."""

    images: str
    """The images, ``name@digest``, comma-separated."""

class GitError(TrueupError):
    """A Git operation failed: not a repository, unknown revision, path not in the tree..."""

    repo: str
    """The repository (set on GitError itself; BranchMovedError has ``branch``,
    ``expected`` and ``actual`` instead, ConflictError only the message)."""

class BranchMovedError(GitError):
    """A branch did not point where a write expected: read it again and retry."""

    branch: str
    expected: str
    """Where the writer expected the branch."""
    actual: str
    """Where it is."""

class ConflictError(GitError):
    """A revert does not apply cleanly."""

class IoError(TrueupError, OSError):
    """A file could not be read (an ``OSError`` too: ``errno``, ``strerror``
    and ``filename`` are set; ``str()`` is the trueup message)."""

@final
class ManifestSet:
    """An ordered set of Kubernetes objects, as ``kustomize build`` prints them."""

    def __len__(self) -> int: ...
    def __getitem__(self, index: int, /) -> dict[str, Any]: ...
    def __iter__(self) -> Iterator[dict[str, Any]]: ...
    def to_list(self) -> list[dict[str, Any]]:
        """The objects as a list of dicts."""
    def ids(self) -> list[str]:
        """Each object's identity as ``group/kind/namespace/name``."""
    def to_yaml(self) -> str:
        """The objects as YAML, byte-identical to ``kustomize build``."""
    def to_json(self) -> str:
        """The objects as a JSON array."""

def build(
    path: Union[str, os.PathLike[str]],
    *,
    load_restrictor: Optional[str] = None,
    rev: Optional[str] = None,
    repo: Optional[Union[str, os.PathLike[str]]] = None,
    remote: bool = True,
) -> ManifestSet:
    """Render the kustomization in folder ``path``, as ``kustomize build path`` does.

    ``load_restrictor="none"`` lets kustomizations read files outside their folder
    (default ``"root-only"``, as in kustomize). With ``rev``, render the folder as
    it is at that Git revision of ``repo`` (default: the repository containing
    the current folder), from Git objects, without a checkout. Remote resources
    (HTTP files, Git repositories, cached in ``TRUEUP_CACHE_DIR``) are fetched
    as kustomize fetches them; ``remote=False`` refuses them instead
    (``UnsupportedError``)."""

def load_manifests(
    text: Union[str, bytes],
    *,
    file: Optional[str] = None,
    max_depth: Optional[int] = None,
    max_alias_nodes: Optional[int] = None,
    max_document_size: Optional[int] = None,
) -> ManifestSet:
    """Read Kubernetes manifests from YAML text (str or UTF-8 bytes).

    ``file`` names the input in errors (default ``<string>``). The limits bound
    what parsing may cost: nesting depth (default 256), nodes added by alias
    expansion (default 100,000) and characters per document (default 16 MiB).
    """

def load_manifests_file(path: Union[str, os.PathLike[str]]) -> ManifestSet:
    """Read the Kubernetes manifests in a YAML (or JSON) file; errors name the file."""

class OverlayResult(TypedDict):
    """One overlay of ``build_all``."""

    path: str
    """The overlay's folder, relative to the root."""
    manifests: Optional[ManifestSet]
    """What it renders to, when it renders."""
    error: Optional[TrueupError]
    """Why it does not render, when it does not."""

def build_all(
    root: Union[str, os.PathLike[str]],
    *,
    jobs: Optional[int] = None,
    load_restrictor: Optional[str] = None,
    shard: Optional[str] = None,
    remote: bool = True,
    changed_since: Optional[str] = None,
    render_cache: Optional[Union[str, os.PathLike[str]]] = None,
    rev: Optional[str] = None,
    repo: Optional[Union[str, os.PathLike[str]]] = None,
) -> list[OverlayResult]:
    """Render every overlay under ``root`` in parallel (folders with a kustomization
    no other kustomization under the root uses), in path order; one failing
    overlay stops no other. ``jobs`` defaults to the number of cores.
    ``shard="2/4"`` renders only that shard of a deterministic split by
    overlay path (the shards of a count cover every overlay exactly once).
    ``changed_since="origin/main"`` keeps only the overlays whose inputs (any
    file they read, bases and components included) differ from that Git
    revision, compared from Git objects without a checkout.
    ``render_cache="DIR"`` keeps renders in that folder, keyed by the content
    of every file they read: an overlay whose inputs did not change is read
    from there instead of rendered.
    ``rev="main"`` renders the overlays as they are at that revision of
    ``repo`` (default: the repository ``root`` is in), from Git objects
    without a checkout; a render cache then keys files by their blob ids."""

_Path = Union[str, os.PathLike[str]]
_Manifests = Union[ManifestSet, _Path, Sequence[_Path]]

class DiffSummary(TypedDict):
    """How many resources have each status."""

    synced: int
    outOfSync: int
    missing: int
    extraneous: int

class DiffChange(TypedDict):
    """One differing field."""

    path: str
    """``spec.template.spec.containers[name=app].image``, ``metadata.labels["app.kubernetes.io/name"]``."""
    cause: Literal["change", "drift", "conflict"]
    """change: Git moved; drift: the cluster moved; conflict: both, differently."""
    live: Any
    lastApplied: Any
    desired: Any

class ResourceDiff(TypedDict):
    """The comparison of one resource."""

    id: str
    """``group/kind/namespace/name``."""
    status: Literal["Synced", "OutOfSync", "Missing", "Extraneous"]
    health: Optional[Literal["Healthy", "Suspended", "Progressing", "Missing", "Degraded", "Unknown"]]
    healthMessage: Optional[str]
    changes: list[DiffChange]
    patch: Optional[dict[str, Any]]
    """The strategic merge patch that converges live to desired (OutOfSync only)."""
    diff: str
    """A unified diff of live and predicted live (empty when Synced)."""

class DiffWarning(TypedDict):
    id: str
    message: str

class DiffReport(TypedDict):
    """What ``diff`` returns; the same object ``trueup diff --output json`` prints."""

    summary: DiffSummary
    sync: Literal["Synced", "OutOfSync"]
    health: Optional[str]
    resources: list[ResourceDiff]
    warnings: list[DiffWarning]

def diff(
    desired: _Manifests,
    live: _Manifests,
    *,
    last_applied: Optional[_Manifests] = None,
    ignore: Optional[_Path] = None,
    app: Optional[str] = None,
    namespace: Optional[str] = None,
    hand_edit_managers: Optional[list[str]] = None,
    tracking_method: Optional[Literal["annotation", "label", "annotation+label"]] = None,
    tracking_label: Optional[str] = None,
    jobs: Optional[int] = None,
    show_secrets: bool = False,
    sensitive_annotations: Optional[list[str]] = None,
    health_scripts: Optional[_Path] = None,
    apply_managers: Optional[list[str]] = None,
    ignore_aggregated_roles: bool = False,
    ignore_resource_status_field: Optional[Literal["all", "crd", "none"]] = None,
    crds: Optional[_Manifests] = None,
) -> DiffReport:
    """Compare desired state (Git) with live state (the cluster), three-way with
    the last-applied state (by default each live object's
    ``kubectl.kubernetes.io/last-applied-configuration`` annotation).

    ``ignore_aggregated_roles``: do not compare the ``rules`` of aggregated
    Roles and ClusterRoles (Argo CD's ``ignoreAggregatedRoles``).

    ``crds``: CustomResourceDefinitions (a ManifestSet or paths) that say
    which custom kinds are cluster-scoped; those in ``desired`` count too,
    and live objects tell the rest.

    ``ignore_resource_status_field``: whose ``status`` is not compared, as
    Argo CD's ``ignoreResourceStatusField``: ``"all"`` (the default, Argo CD
    3's), ``"crd"`` (only CustomResourceDefinitions') or ``"none"``; a status
    Git gives is compared otherwise.

    ``apply_managers``: server-side apply field managers (default
    argocd-controller, kubectl, kustomize-controller, helm-controller) whose
    ``Apply`` entry in managedFields is the last-applied state.

    ``health_scripts``: Argo CD health checks, a folder laid out as its
    ``resource_customizations`` (``<group>/<kind>/health.lua``) or an argocd-cm
    ConfigMap file; each runs sandboxed (no io, of os only ``time`` and ``clock``,
    one second, 64 MiB), and a
    failing one makes the object's health Unknown with the reason.

    Secret values (``data``, ``stringData``, the last-applied annotation and
    any ``sensitive_annotations``) are masked as ``++++++++`` (one mask per
    distinct value) unless ``show_secrets=True``.

    ``desired``, ``live`` and ``last_applied`` are ManifestSets or paths (an
    overlay folder is rendered; a plain folder contributes its YAML files).
    ``ignore`` is a YAML file of rules like Argo CD's ``ignoreDifferences``.
    ``app`` is the application's name, as the tracking annotation
    (``argocd.argoproj.io/tracking-id``) or label carries it, that marks
    extraneous live objects (default: the applications of the desired
    objects); ``tracking_method`` is Argo CD's ``resourceTrackingMethod``:
    ``"annotation"`` (Argo CD 3's default, the label then compared as any
    other), ``"label"`` or ``"annotation+label"``, the label being
    ``tracking_label`` (default ``app.kubernetes.io/instance``); ``namespace`` is where desired objects without one
    go; ``hand_edit_managers`` are the managedFields managers whose updates are
    hand edits (default: kubectl-edit, kubectl-patch, kubectl-set,
    kubectl-label, kubectl-annotate, kubectl-scale, kubectl-replace); ``jobs``
    is how many threads compare resources (default: the number of cores).
    """


class CommitInfo(TypedDict):
    """One commit of a path's history."""

    id: str
    author: str
    email: str
    time: str
    """ISO 8601, with the author's offset."""
    subject: str
    files: list[str]
    """Files under the path it added, changed or deleted (against its first parent)."""

class RollbackOutcome(TypedDict):
    """What ``rollback`` did."""

    commit: Optional[str]
    """The new commit's id; ``None`` when there was nothing to do."""
    branch: str
    """The branch, as a full ref name (``refs/heads/main``)."""
    checked_out: bool
    """Whether HEAD is on that branch: its working tree and index then still hold
    the files from before (``message`` says how to update them)."""
    message: str
    """What happened, for people."""

def resolve(rev: str, *, repo: Optional[_Path] = None) -> str:
    """The full commit id a revision names (``main``, ``v1``, a short id, ``HEAD~3``)."""

def history(
    path: _Path,
    *,
    repo: Optional[_Path] = None,
    max: Optional[int] = None,
    since: Optional[str] = None,
    rev: Optional[str] = None,
) -> list[CommitInfo]:
    """The commits that changed anything under ``path``, newest first, as
    ``git log -- PATH`` lists them (``since``: only commits not reachable from it)."""

class DeltaSummary(TypedDict):
    """How many objects ``diff_revisions`` finds added, removed, changed, unchanged."""

    added: int
    removed: int
    changed: int
    unchanged: int

FieldChange = TypedDict("FieldChange", {"path": str, "from": Any, "to": Any})
"""One field that changes between two revisions (``from``/``to`` are None when absent)."""

class ResourceDelta(TypedDict):
    """One object that changes between two revisions."""

    id: str
    change: Literal["added", "removed", "changed"]
    changes: list[FieldChange]
    diff: str
    """A unified diff of its YAML."""

class DesiredDiff(TypedDict):
    """What ``diff_revisions`` finds."""

    summary: DeltaSummary
    resources: list[ResourceDelta]

def diff_revisions(path: _Path, from_rev: str, to_rev: str, *, repo: Optional[_Path] = None) -> DesiredDiff:
    """What changes in the desired state of the overlay at ``path`` from ``from_rev``
    to ``to_rev``: ``summary`` (added, removed, changed, unchanged) and
    ``resources`` (``id``, ``change``, ``changes`` with ``path``/``from``/``to``, ``diff``)."""

def commit(
    branch: str,
    changes: dict[str, Union[str, bytes, None]],
    message: str,
    *,
    parent: Optional[str] = None,
    repo: Optional[_Path] = None,
    author: Optional[Union[tuple[str, str], tuple[str, str, int]]] = None,
    committer: Optional[Union[tuple[str, str], tuple[str, str, int]]] = None,
) -> str:
    """Commit ``changes`` (path to new content, ``None`` deletes) on top of ``parent``
    (default: the branch's tip) and move ``branch`` to it only if it still points
    at that parent, else raise BranchMovedError. The working tree and index are
    not touched. Returns the new commit id."""

def rollback(
    path: _Path,
    *,
    to: Optional[str] = None,
    revert: Optional[str] = None,
    branch: Optional[str] = None,
    repo: Optional[_Path] = None,
) -> RollbackOutcome:
    """Commit on ``branch`` (default: HEAD's branch) ``path`` restored as it was at
    ``to``, or the revert of commit ``revert`` limited to ``path`` (ConflictError
    when it does not apply cleanly). Nothing to do is not an error: ``commit`` is
    then ``None``. The repository is the one ``path`` is in unless ``repo`` is given."""


class ReleaseSource(TypedDict):
    repository: str
    revision: str


class ReleaseImage(TypedDict):
    name: str
    digest: Optional[str]
    tag: Optional[str]


class ReleaseArtifact(TypedDict):
    name: str
    ref: str
    digest: Optional[str]


class ReleaseProblem(TypedDict):
    """One thing wrong with a release: the field's path and what is wrong."""

    path: str
    message: str


class ReleaseChange(TypedDict):
    """An image or artifact that differs: ``old`` None when added, ``new`` None when removed."""

    name: str
    old: Optional[str]
    new: Optional[str]


class RevisionChange(TypedDict):
    old: str
    new: str


class ReleaseDiff(TypedDict):
    revision: Optional[RevisionChange]
    images: list[ReleaseChange]
    artifacts: list[ReleaseChange]


@final
class ReleaseManifest:
    """A release manifest: the source revision and image digests of one
    release, with its canonical id (``sha256:`` of the RFC 8785 JSON of its
    spec). Reading one fails only on text that is not YAML or JSON;
    ``verify()`` lists what is wrong in it."""

    @staticmethod
    def load(path: _Path) -> ReleaseManifest: ...
    @staticmethod
    def from_yaml(text: str, *, file: Optional[str] = None) -> ReleaseManifest: ...
    @staticmethod
    def create(
        name: str,
        repository: str,
        revision: str,
        *,
        images: Optional[list[str]] = None,
        artifacts: Optional[dict[str, str]] = None,
        profile: Optional[str] = None,
        labels: Optional[dict[str, str]] = None,
    ) -> ReleaseManifest:
        """``images`` as pinned references (``name@sha256:...``),
        ``artifacts`` as ``{name: ref}`` or ``{name: ref@digest}``."""
    @staticmethod
    def from_manifests(name: str, repository: str, revision: str, manifests: ManifestSet) -> ReleaseManifest:
        """The images a rendered overlay runs; every one must be pinned by digest."""
    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def source(self) -> ReleaseSource: ...
    @property
    def images(self) -> list[ReleaseImage]: ...
    @property
    def artifacts(self) -> list[ReleaseArtifact]: ...
    @property
    def profile(self) -> Optional[str]: ...
    @property
    def labels(self) -> dict[str, str]: ...
    def verify(self) -> list[ReleaseProblem]:
        """What is wrong (each with its field path); empty when valid."""
    def to_yaml(self) -> str: ...
    def to_json(self) -> str: ...
    def compare(self, other: ReleaseManifest) -> ReleaseDiff:
        """What changed from this release to ``other``."""


class FileEdit(TypedDict):
    """A change to one file: ``old`` is None for a new file; ``diff`` is unified."""

    path: str
    old: Optional[bytes]
    new: bytes
    diff: str


def apply_release(release: ReleaseManifest, overlay_dir: _Path, *, write: bool = True) -> list[FileEdit]:
    """Pin the images ``overlay_dir`` renders to ``release``'s digests in its
    kustomization.yaml, changing only the bytes that must change, and record
    the release in ``release-manifest.ref``. With ``write=False`` nothing is
    written. Returns the edits, empty when the overlay already runs it."""


class PromotedImage(TypedDict):
    name: str
    current: Optional[str]
    digest: str
    tag: Optional[str]
    testedAt: Optional[str]


class Promotion(TypedDict):
    """What ``promote`` did: the branch and its commit, the base commit, the
    release id, the pull request's title and Markdown body."""

    branch: str
    commit: str
    base: str
    releaseId: str
    title: str
    body: str
    images: list[PromotedImage]
    existing: bool


def promote(
    from_path: _Path,
    to_path: _Path,
    *,
    release: Optional[ReleaseManifest] = None,
    base: str = "main",
    environment: Optional[str] = None,
    allow_untested: Optional[str] = None,
    repo: Optional[_Path] = None,
) -> Promotion:
    """Promote a release from the overlay at ``from_path`` (staging) to the one
    at ``to_path`` (prod) as a commit on a new branch
    ``deploy/<environment>-<12 hex of the release id>`` from the tip of
    ``base``; the working tree is not touched. ``release`` defaults to the
    images ``from_path`` renders; digests it never ran raise
    ``UntestedError`` unless ``allow_untested`` gives the reason. Re-running
    finds the branch (``existing``) and writes nothing."""


def evidence(
    release: ReleaseManifest,
    environment: _Path,
    rev: str,
    live: _Manifests,
    *,
    results: Optional[list[_Path]] = None,
    exceptions: Optional[_Path] = None,
    namespace: Optional[str] = None,
    created_at: Optional[str] = None,
    repo: Optional[_Path] = None,
) -> dict[str, Any]:
    """The evidence bundle of the environment at ``environment`` at sync
    revision ``rev``: the release and its id, the sha256 of Git's desired
    state there, the diff against ``live``, live image drift, the attached
    ``results`` files (hashed), the ``exceptions`` (a YAML file; an expired one
    raises ReleaseError), ``createdAt`` (``created_at``, else
    ``SOURCE_DATE_EPOCH``, else now) and ``ready``, with ``id`` over the rest."""


def verify_evidence(bundle: Union[str, dict[str, Any]]) -> bool:
    """Check a bundle's ``id`` against its content; whether it says ready.
    A changed bundle raises ReleaseError."""


def evidence_markdown(bundle: dict[str, Any]) -> str:
    """An evidence bundle as Markdown, for people."""

class Finding(TypedDict):
    """One problem ``verify`` found, where it comes from."""

    rule: str
    """The rule: secret-value, private-key, kubeconfig, credential, mutable-image,
    unused-image-override, ownership, isolation, schema, names, render,
    expired-exception."""
    severity: Literal["error", "warning"]
    file: str
    """The source file, relative to the root."""
    line: int
    column: int
    message: str
    """What is wrong and what to do; never a secret's value."""
    resource: Optional[str]
    """``Kind/namespace/name`` of the object it is about."""
    overlays: list[str]
    """The overlays whose rendering showed it."""
    image: Optional[str]

@final
class VerifyReport:
    """The outcome of ``verify``."""

    @property
    def findings(self) -> list[Finding]:
        """The findings no exception accepted, by file, line and column."""
    @property
    def exceptions(self) -> list[dict[str, Any]]:
        """The exceptions that accepted findings: rule, match, reason, approver,
        expires, and the findings they accepted."""
    @property
    def overlays(self) -> int:
        """How many overlays were rendered."""
    @property
    def files(self) -> int:
        """How many files were scanned for secrets."""
    @property
    def failed(self) -> bool:
        """Whether any finding is an error (``trueup verify`` exits 1)."""
    def summary(self) -> str:
        """One line of counts: overlays, files, errors, warnings, accepted by exceptions."""
    def to_text(self) -> str:
        """One line per finding: ``file:line:column: rule: message``."""
    def to_json(self) -> str:
        """``{"findings": [...], "exceptions": [...], "overlays": n, "files": n}``."""
    def to_sarif(self) -> str:
        """SARIF 2.1.0, as GitHub code scanning reads it."""
    def __len__(self) -> int: ...

def verify(
    root: Union[str, os.PathLike[str]],
    config: Optional[Union[str, os.PathLike[str]]] = None,
    *,
    jobs: Optional[int] = None,
    shard: Optional[str] = None,
    load_restrictor: Optional[str] = None,
    remote: bool = True,
    today: Optional[str] = None,
) -> VerifyReport:
    """Guardrails over the repository at ``root``: every overlay rendered, the
    objects and every file of the repository checked — secret values, private
    keys, kubeconfigs and credentials in Git; images without digests where
    required, or on ``:latest``; ``images:`` entries that match nothing; one
    owner per object; environments isolated by namespace; schema; names.
    ``config`` is a ``.trueup/verify.yaml``-style file (default: the one under
    ``root``, if any). ``today`` (``YYYY-MM-DD``) is the day exceptions'
    ``expires`` are checked against (default: today, UTC). Raises
    ``VerifyError`` for a bad configuration."""

"""Type stubs of the native module trueup._trueup (kept true to crates/py/src/lib.rs)."""

import os
from typing import Any, Iterator, Optional, TypedDict, Union

__version__: str

class TrueupError(Exception):
    """Base class of every trueup error."""

    message: str
    """The full message: file, document, line, and what is wrong."""
    code: str
    """A stable code: E_YAML, E_MANIFEST, E_OVERLAY, E_UNSUPPORTED, E_IO."""
    file: Optional[str]
    """The file the error is about, when known."""
    line: Optional[int]
    """The 1-based line the error is about, when known."""

class YamlError(TrueupError):
    """The text is not valid YAML, or breaks a parse limit."""

class ManifestError(TrueupError):
    """A YAML document is not a Kubernetes object."""

class OverlayError(TrueupError):
    """A kustomization cannot be rendered."""

class UnsupportedError(OverlayError):
    """A kustomization uses a feature trueup does not render yet."""

class IoError(TrueupError):
    """A file could not be read."""

class ManifestSet:
    """An ordered set of Kubernetes objects, as ``kustomize build`` prints them."""

    def __len__(self) -> int: ...
    def __getitem__(self, index: int) -> dict[str, Any]: ...
    def __iter__(self) -> Iterator[dict[str, Any]]: ...
    def to_list(self) -> list[dict[str, Any]]:
        """The objects as a list of dicts."""
    def ids(self) -> list[str]:
        """Each object's identity as ``group/kind/namespace/name``."""
    def to_yaml(self) -> str:
        """The objects as YAML, byte-identical to ``kustomize build``."""
    def to_json(self) -> str:
        """The objects as a JSON array."""

def build(path: Union[str, os.PathLike[str]], *, load_restrictor: Optional[str] = None) -> ManifestSet:
    """Render the kustomization in folder ``path``, as ``kustomize build path`` does.

    ``load_restrictor="none"`` lets kustomizations read files outside their folder
    (default ``"root-only"``, as in kustomize)."""

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
    root: Union[str, os.PathLike[str]], *, jobs: Optional[int] = None, load_restrictor: Optional[str] = None
) -> list[OverlayResult]:
    """Render every overlay under ``root`` in parallel (folders with a kustomization
    no other kustomization under the root uses), in path order; one failing
    overlay stops no other. ``jobs`` defaults to the number of cores."""

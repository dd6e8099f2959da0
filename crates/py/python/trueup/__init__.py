"""trueup: GitOps primitives over one Rust engine.

Render kustomizations byte-for-byte as ``kustomize build`` prints them, read
Kubernetes manifests as plain Python data, and diff desired state against the
cluster three-way (``trueup.diff``).

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
    DiffError,
    IoError,
    ManifestError,
    ManifestSet,
    OverlayError,
    TrueupError,
    UnsupportedError,
    YamlError,
    __version__,
    build,
    build_all,
    diff,
    load_manifests,
    load_manifests_file,
)

__all__ = [
    "DiffError",
    "IoError",
    "ManifestError",
    "ManifestSet",
    "OverlayError",
    "TrueupError",
    "UnsupportedError",
    "YamlError",
    "__version__",
    "build",
    "build_all",
    "diff",
    "load_manifests",
    "load_manifests_file",
]

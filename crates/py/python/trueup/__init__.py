"""trueup: GitOps primitives over one Rust engine.

Render kustomizations byte-for-byte as ``kustomize build`` prints them, and
read Kubernetes manifests as plain Python data.

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
    load_manifests,
    load_manifests_file,
)

__all__ = [
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
    "load_manifests",
    "load_manifests_file",
]

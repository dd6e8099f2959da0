"""Render an overlay of the example GitOps repository and list what it holds.

    python examples/python/build_overlay.py examples/gitops/apps/checkout/overlays/prod
"""
import sys

import trueup

folder = sys.argv[1] if len(sys.argv) > 1 else "examples/gitops/apps/checkout/overlays/prod"
try:
    manifests = trueup.build(folder)
except trueup.TrueupError as err:  # every trueup error; err.code, err.file, err.line
    sys.exit(f"error: {err}")

for obj in manifests:  # plain dicts
    print(obj["kind"], obj["metadata"]["name"], file=sys.stderr)
print(manifests.to_yaml(), end="")  # the same bytes `kustomize build` prints

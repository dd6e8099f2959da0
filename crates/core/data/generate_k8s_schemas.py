#!/usr/bin/env python3
"""Regenerates the Kubernetes schemas `trueup verify` checks built-in kinds
against: crates/core/data/kubernetes-<version>.json.gz.

Input: the Kubernetes OpenAPI v2 document of a release, as published at
  https://raw.githubusercontent.com/kubernetes/kubernetes/release-<version>/api/openapi-spec/swagger.json
(or `kubernetes/swagger.json.unprocessed` of kubernetes-client/python on
its release-<version> commit: the same content).

    python3 crates/core/data/generate_k8s_schemas.py 1.33 swagger.json

Output: compact JSON, gzip-compressed (deterministic: no timestamp):
  {"version": "1.33",
   "kinds": {"apps/v1/Deployment": "io.k8s.api.apps.v1.Deployment", ...},
   "namespaced": ["apps/v1/Deployment", ...],
   "definitions": {"io.k8s.api.apps.v1.Deployment": NODE, ...}}
where NODE is one of
  {"$": "definition"}                        a reference
  {"t": "object", "p": {name: NODE}, "r": [required], "a": NODE}
                                             properties, required, additionalProperties
  {"t": "array", "i": NODE}                  items
  {"t": "string" | "integer" | "number" | "boolean"}
  {"t": "int-or-string"} | {"t": "quantity"} (string or number) | {} (anything)
Descriptions and every other annotation are dropped.
"""
import gzip
import io
import json
import sys

QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"


def node(schema):
    if "$ref" in schema:
        target = schema["$ref"].split("/")[-1]
        return {"$": target}
    kind = schema.get("type")
    if schema.get("format") == "int-or-string":
        return {"t": "int-or-string"}
    if kind == "object" or "properties" in schema or "additionalProperties" in schema:
        out = {"t": "object"}
        if "properties" in schema:
            out["p"] = {k: node(v) for k, v in sorted(schema["properties"].items())}
        if schema.get("required"):
            out["r"] = sorted(schema["required"])
        if isinstance(schema.get("additionalProperties"), dict):
            out["a"] = node(schema["additionalProperties"])
        return out
    if kind == "array":
        return {"t": "array", "i": node(schema.get("items", {}))}
    if kind in ("string", "integer", "number", "boolean"):
        return {"t": kind}
    return {}


def main():
    version, path = sys.argv[1], sys.argv[2]
    with open(path) as f:
        swagger = json.load(f)
    definitions = {}
    kinds = {}
    for name, schema in sorted(swagger["definitions"].items()):
        if name == QUANTITY:
            definitions[name] = {"t": "quantity"}
        elif name == INT_OR_STRING:
            definitions[name] = {"t": "int-or-string"}
        else:
            definitions[name] = node(schema)
        for gvk in schema.get("x-kubernetes-group-version-kind", []):
            if name.startswith("io.k8s.apimachinery.pkg.apis.meta.v1."):
                continue  # DeleteOptions, WatchEvent: listed for every group
            group = gvk["group"]
            key = f"{group + '/' if group else ''}{gvk['version']}/{gvk['kind']}"
            kinds[key] = name
    # Namespaced kinds: served under /namespaces/{namespace}/.
    namespaced = set()
    for path, operations in swagger.get("paths", {}).items():
        if "/namespaces/{namespace}/" not in path:
            continue
        for operation in operations.values():
            gvk = operation.get("x-kubernetes-group-version-kind") if isinstance(operation, dict) else None
            if gvk:
                group = gvk["group"]
                namespaced.add(f"{group + '/' if group else ''}{gvk['version']}/{gvk['kind']}")
    namespaced &= set(kinds)
    document = {
        "version": version,
        "kinds": dict(sorted(kinds.items())),
        "namespaced": sorted(namespaced),
        "definitions": definitions,
    }
    data = json.dumps(document, separators=(",", ":"), sort_keys=True).encode()
    out = f"crates/core/data/kubernetes-{version}.json.gz"
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0, compresslevel=9) as gz:
        gz.write(data)
    with open(out, "wb") as f:
        f.write(buffer.getvalue())
    print(f"{out}: {len(kinds)} kinds, {len(definitions)} definitions, {len(data)} bytes, {len(buffer.getvalue())} compressed")


if __name__ == "__main__":
    main()

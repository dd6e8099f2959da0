#!/usr/bin/env python3
"""Extract kustomize/kyaml scope and strategic-merge data into TSV files.

Offline helper, NOT used at build time.  Rerun by hand when the pinned
kustomize/kyaml version changes.

What it reads (from a clone / bare mirror of github.com/kubernetes-sigs/kustomize):

  * kyaml/openapi/openapi.go
        the Go map literal ``precomputedIsNamespaceScoped`` -- the table that
        kyaml's ``openapi.IsNamespaceScoped`` consults first.
  * kyaml/openapi/kubernetesapi/v1_21_2/swagger.pb
        the built-in Kubernetes OpenAPI v2 document (protobuf-encoded
        ``openapi.v2.Document`` from github.com/google/gnostic-models), which is
        kyaml's default schema (``kubernetesapi.DefaultOpenAPI = "v1.21.2"``).
  * kyaml/openapi/kustomizationapi/swagger.json
        the small kustomization schema kyaml's initSchema() always adds to the
        global schema as well.

Pinned source: tag ``kyaml/v0.21.1`` = commit
798d339d1049c82ba4a286f33f7165ecca1dfe6f (the kyaml used by kustomize v5.8.1 /
api v0.21.1; kyaml/v0.21.0, used by kustomize v5.8.0, has byte-identical
kyaml/ sources).  No kyaml/v0.21.3 tag existed in the mirror used.

Outputs (written next to this script unless --out is given):

  namespace_scope.tsv   apiVersion  kind  namespaced|cluster
  smp_kinds.tsv         apiVersion  kind  definition
  smp_schema.tsv        definition  field  type-ref  is-list  merge-key
                        patch-strategy  list-map-keys

Usage:
  python3 extract.py --git-dir /path/to/kustomize/.git [--rev COMMIT] [--out DIR]
  python3 extract.py --openapi-go F --swagger-pb F --kustomization-json F [--out DIR]

Only the Python standard library is required.  The protobuf is decoded with a
minimal hand-written wire-format reader that knows just the openapi.v2 message
fields needed here (field numbers from gnostic-models openapiv2/OpenAPIv2.proto).
Vendor-extension values are stored in the protobuf as YAML text
(``Any.yaml``); the few shapes that occur (scalar, list of scalars, list of
flat maps) are parsed by ``parse_ext_yaml`` below.

smp_schema.tsv semantics (mirrors kyaml openapi.ResourceSchema.Field/Elements
and walk.Walker):
  * one row per property of every definition reachable (through $ref, items,
    additionalProperties) from a definition carrying
    x-kubernetes-group-version-kind;
  * only properties that are lists, object refs, or maps whose values are
    object refs are kept.  Refs to definitions that are themselves scalars
    (e.g. resource.Quantity, util.intstr.IntOrString, meta.v1.Time) are
    dropped, as are maps of scalars and lists of plain scalars *unless* the
    list carries a patch strategy (metadata.finalizers, NodeSpec.podCIDRs) --
    those are kept because the strategy changes the merge behaviour.  Scalar
    fields are always dropped, even the one that carries a patch strategy in
    v1.21.2 (meta.v1.LabelSelectorRequirement.key; kyaml ignores it);
  * type-ref: the referenced definition; for lists the item definition
    ('-' when items are scalars, '[]<def>' for lists of lists); for maps
    ``map:<def>`` (the additionalProperties value definition);
  * merge-key: x-kubernetes-patch-merge-key, '-' if absent;
  * patch-strategy: x-kubernetes-patch-strategy verbatim (may be e.g.
    ``merge,retainKeys`` or ``retainKeys``), '-' if absent;
  * list-map-keys: x-kubernetes-list-map-keys joined with ',' ('-' if absent).
    kyaml's PatchStrategyAndKeyList() prefers these over the merge key, but
    only when a patch strategy is present.

Every output file starts with one '#'-prefixed header line; rows are sorted.
"""

import argparse
import json
import os
import re
import subprocess
import sys

DEFAULT_REV = "798d339d1049c82ba4a286f33f7165ecca1dfe6f"  # tag kyaml/v0.21.1
OPENAPI_GO = "kyaml/openapi/openapi.go"
SWAGGER_PB = "kyaml/openapi/kubernetesapi/v1_21_2/swagger.pb"
KUSTOMIZATION_JSON = "kyaml/openapi/kustomizationapi/swagger.json"


# --------------------------------------------------------------------------
# minimal protobuf wire-format reader
# --------------------------------------------------------------------------

def _varint(buf, pos):
    result = 0
    shift = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def fields(buf):
    """Yield (field_number, wire_type, value) for one message.

    Length-delimited values are returned as memoryview slices; varints as
    ints; fixed64/fixed32 as raw bytes.
    """
    pos = 0
    end = len(buf)
    while pos < end:
        key, pos = _varint(buf, pos)
        num, wt = key >> 3, key & 7
        if wt == 0:
            val, pos = _varint(buf, pos)
        elif wt == 1:
            val = bytes(buf[pos:pos + 8])
            pos += 8
        elif wt == 2:
            ln, pos = _varint(buf, pos)
            val = buf[pos:pos + ln]
            pos += ln
        elif wt == 5:
            val = bytes(buf[pos:pos + 4])
            pos += 4
        else:
            raise ValueError("unsupported wire type %d" % wt)
        yield num, wt, val


def _s(mv):
    return bytes(mv).decode("utf-8")


def named_pairs(buf, field_no):
    """Decode repeated NamedXxx {name=1; value=2} entries in field field_no."""
    out = []
    for num, _, val in fields(buf):
        if num == field_no:
            name, value = None, None
            for n2, _, v2 in fields(val):
                if n2 == 1:
                    name = _s(v2)
                elif n2 == 2:
                    value = v2
            out.append((name, value))
    return out


def parse_ext_yaml(text):
    """Parse the tiny YAML documents gnostic stores for vendor extensions.

    Handles exactly the shapes of the extensions this script uses: a plain
    scalar ("merge"), a flat map ("group: x\nkind: y\nversion: z"), a block
    list of scalars ("- containerPort\n- protocol") and a block list of flat
    maps ("- group: x\n  kind: y\n  version: z").  Anything else raises.
    """
    lines = [l for l in text.splitlines() if l.strip()]
    if not lines:
        return None
    if not lines[0].startswith("- "):
        if len(lines) == 1 and not _is_kv(lines[0]):
            return _scalar(lines[0].strip())
        out = {}
        for l in lines:
            if l.startswith(" ") or not _is_kv(l):
                raise ValueError("unsupported extension YAML: %r" % text)
            k, _, v = l.partition(":")
            out[k.strip()] = _scalar(v.strip())
        return out
    items = []
    for l in lines:
        if l.startswith("- "):
            body = l[2:]
            if _is_kv(body):
                k, _, v = body.partition(":")
                items.append({k.strip(): _scalar(v.strip())})
            else:
                items.append(_scalar(body.strip()))
        elif l.startswith("  ") and not l.startswith("   ") and _is_kv(l.strip()) \
                and items and isinstance(items[-1], dict):
            k, _, v = l.strip().partition(":")
            items[-1][k.strip()] = _scalar(v.strip())
        else:
            raise ValueError("unsupported extension YAML: %r" % text)
    return items


def _is_kv(s):
    return re.match(r"^[A-Za-z0-9_.-]+: \S", s.strip()) is not None


def _scalar(s):
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "'\"":
        return s[1:-1]
    return s


# Extensions this script needs; others are kept as raw YAML text.
PARSED_EXTENSIONS = {
    "x-kubernetes-group-version-kind",
    "x-kubernetes-patch-merge-key",
    "x-kubernetes-patch-strategy",
    "x-kubernetes-list-map-keys",
}


def vendor_extensions(buf, field_no):
    ext = {}
    for name, value in named_pairs(buf, field_no):
        yml = None
        for n, _, v in fields(value):  # Any { value=1 (protobuf.Any); yaml=2 }
            if n == 2:
                yml = _s(v)
        if yml is None:
            ext[name] = None
        elif name in PARSED_EXTENSIONS:
            ext[name] = parse_ext_yaml(yml)
        else:
            ext[name] = yml
    return ext


def decode_schema(buf):
    """openapi.v2.Schema -> a JSON-schema-like dict (subset)."""
    s = {}
    has_ext = False
    for num, _, val in fields(buf):
        if num == 1:
            s["$ref"] = _s(val)
        elif num == 21:  # AdditionalPropertiesItem {schema=1; boolean=2}
            for n2, _, v2 in fields(val):
                if n2 == 1:
                    s["additionalProperties"] = decode_schema(v2)
                elif n2 == 2:
                    s["additionalProperties"] = bool(v2)
        elif num == 22:  # TypeItem {repeated string value=1}
            s["type"] = [_s(v2) for n2, _, v2 in fields(val) if n2 == 1]
        elif num == 23:  # ItemsItem {repeated Schema schema=1}
            items = [decode_schema(v2) for n2, _, v2 in fields(val) if n2 == 1]
            s["items"] = items[0] if len(items) == 1 else items
        elif num == 25:  # Properties {repeated NamedSchema additional_properties=1}
            props = {}
            for name, v in named_pairs(val, 1):
                props[name] = decode_schema(v)
            s["properties"] = props
        elif num == 31 and not has_ext:
            has_ext = True
    if has_ext:  # repeated NamedAny vendor_extension = 31
        s.update(vendor_extensions(buf, 31))
    return s


def decode_document(buf):
    buf = memoryview(buf)
    doc = {"definitions": {}, "paths": {}}
    for num, _, val in fields(buf):
        if num == 2:  # Info {title=1; version=2}
            info = {}
            for n2, _, v2 in fields(val):
                if n2 in (1, 2):
                    info["title" if n2 == 1 else "version"] = _s(v2)
            doc["info"] = info
        elif num == 8:  # Paths {vendor_extension=1; path=2 (NamedPathItem)}
            for name, item in named_pairs(val, 2):
                get = None
                for n2, _, v2 in fields(item):
                    if n2 == 2:  # PathItem.get (Operation)
                        get = {"ext": vendor_extensions(v2, 13)}  # Operation.vendor_extension
                doc["paths"][name] = {"get": get}
        elif num == 9:  # Definitions {repeated NamedSchema additional_properties=1}
            for name, v in named_pairs(val, 1):
                doc["definitions"][name] = decode_schema(v)
    return doc


# --------------------------------------------------------------------------
# kyaml logic re-implemented
# --------------------------------------------------------------------------

def gvk_to_api_version(g):
    group = g.get("group") or ""
    return group + "/" + g["version"] if group else g["version"]


def namespaceability(doc):
    """Port of kyaml openapi.findNamespaceability()."""
    res = {}
    for path, item in doc["paths"].items():
        get = item.get("get")
        if not get:
            continue
        gvk = get["ext"].get("x-kubernetes-group-version-kind")
        if not isinstance(gvk, dict):
            continue
        tm = (gvk_to_api_version(gvk), gvk["kind"])
        if "namespaces/{namespace}" in path:
            res[tm] = True
        elif tm not in res:
            res[tm] = False
    return res


def parse_precomputed(go_src):
    m = re.search(r"var precomputedIsNamespaceScoped = map\[yaml\.TypeMeta\]bool\{(.*?)\n\}",
                  go_src, re.S)
    if not m:
        raise ValueError("precomputedIsNamespaceScoped not found")
    out = {}
    for am in re.finditer(r'\{APIVersion: "([^"]*)", Kind: "([^"]*)"\}:\s*(true|false)', m.group(1)):
        key = (am.group(1), am.group(2))
        if key in out:
            raise ValueError("duplicate entry %r" % (key,))
        out[key] = am.group(3) == "true"
    return out


SCALAR_TYPES = {"string", "integer", "number", "boolean"}


def ref_name(ref):
    return ref.rsplit("/", 1)[-1]


def is_scalar_def(defs, name):
    d = defs.get(name)
    if d is None:
        return False
    t = d.get("type") or []
    return bool(t) and all(x in SCALAR_TYPES for x in t) and "properties" not in d


def describe(defs, prop):
    """Return (type_ref, is_list, next_defs) for a property schema or None."""
    ext_ps = prop.get("x-kubernetes-patch-strategy")
    t = prop.get("type") or []
    if "$ref" in prop:
        target = ref_name(prop["$ref"])
        if is_scalar_def(defs, target):
            return None
        return target, "no", [target]
    if "array" in t:
        items = prop.get("items")
        if isinstance(items, dict) and "$ref" in items:
            target = ref_name(items["$ref"])
            return target, "yes", [target]
        if isinstance(items, dict) and items.get("type") == ["array"]:
            inner = items.get("items") or {}
            if "$ref" in inner:
                target = ref_name(inner["$ref"])
                return "[]" + target, "yes", [target]
        if ext_ps:
            return "-", "yes", []
        return None  # list of plain scalars without strategy: plain replace
    ap = prop.get("additionalProperties")
    if isinstance(ap, dict):
        if "$ref" in ap:
            target = ref_name(ap["$ref"])
            if is_scalar_def(defs, target):
                return None
            return "map:" + target, "no", [target]
        if "array" in (ap.get("type") or []):
            items = ap.get("items") or {}
            if "$ref" in items:
                target = ref_name(items["$ref"])
                return "map:[]" + target, "no", [target]
        return None  # map of scalars / lists of scalars: irrelevant
    if "properties" in prop:
        raise ValueError("inline object schema not handled: %r" % prop)
    return None


def fmt_ext(v):
    if v is None:
        return "-"
    if isinstance(v, list):
        return ",".join(str(x) for x in v)
    return str(v)


def smp_tables(defs):
    kinds = []
    roots = []
    for name in sorted(defs):
        gvks = defs[name].get("x-kubernetes-group-version-kind")
        if not gvks:
            continue
        if isinstance(gvks, dict):
            gvks = [gvks]
        roots.append(name)
        for g in gvks:
            kinds.append((gvk_to_api_version(g), g["kind"], name))
    seen = set()
    stack = list(roots)
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        d = defs.get(n)
        if d is None:
            continue
        for prop in (d.get("properties") or {}).values():
            r = describe(defs, prop)
            if r:
                stack.extend(r[2])
    rows = []
    for n in sorted(seen):
        d = defs.get(n) or {}
        for field, prop in sorted((d.get("properties") or {}).items()):
            r = describe(defs, prop)
            if not r:
                continue
            rows.append((n, field, r[0], r[1],
                         fmt_ext(prop.get("x-kubernetes-patch-merge-key")),
                         fmt_ext(prop.get("x-kubernetes-patch-strategy")),
                         fmt_ext(prop.get("x-kubernetes-list-map-keys"))))
    return sorted(set(kinds)), rows


# --------------------------------------------------------------------------

def git_show(git_dir, rev, path):
    return subprocess.run(["git", "--git-dir", git_dir, "show", "%s:%s" % (rev, path)],
                          check=True, stdout=subprocess.PIPE).stdout


def write_tsv(path, header, rows):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("# " + "\t".join(header) + "\n")
        for r in rows:
            f.write("\t".join(r) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--git-dir")
    ap.add_argument("--rev", default=DEFAULT_REV)
    ap.add_argument("--openapi-go")
    ap.add_argument("--swagger-pb")
    ap.add_argument("--kustomization-json")
    ap.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)))
    a = ap.parse_args()

    if a.git_dir:
        go_src = git_show(a.git_dir, a.rev, OPENAPI_GO).decode()
        pb = git_show(a.git_dir, a.rev, SWAGGER_PB)
        kjson = git_show(a.git_dir, a.rev, KUSTOMIZATION_JSON)
    else:
        if not (a.openapi_go and a.swagger_pb and a.kustomization_json):
            ap.error("give --git-dir or all of --openapi-go/--swagger-pb/--kustomization-json")
        go_src = open(a.openapi_go, encoding="utf-8").read()
        pb = open(a.swagger_pb, "rb").read()
        kjson = open(a.kustomization_json, "rb").read()

    pre = parse_precomputed(go_src)
    doc = decode_document(pb)
    print("schema info:", doc.get("info"), file=sys.stderr)

    # Cross-check: kyaml's TestIsNamespaceScopedPrecompute asserts these are equal.
    computed = namespaceability(doc)
    if computed != pre:
        only_pre = sorted(set(pre) - set(computed))
        only_doc = sorted(set(computed) - set(pre))
        diff = sorted(k for k in set(pre) & set(computed) if pre[k] != computed[k])
        print("WARNING: precomputed table differs from swagger paths:\n"
              "  only in table: %r\n  only in swagger: %r\n  value differs: %r"
              % (only_pre, only_doc, diff), file=sys.stderr)
    else:
        print("precomputed table == namespaceability derived from swagger paths "
              "(%d entries)" % len(pre), file=sys.stderr)

    ns_rows = sorted((av, k, "namespaced" if v else "cluster") for (av, k), v in pre.items())
    write_tsv(os.path.join(a.out, "namespace_scope.tsv"),
              ["apiVersion", "kind", "namespaced|cluster"], ns_rows)

    defs = dict(doc["definitions"])
    kdefs = json.loads(kjson)["definitions"]
    for k, v in kdefs.items():
        if k in defs:
            raise ValueError("kustomization definition collides: " + k)
        defs[k] = v  # kyaml AddDefinitions() merges these into the same schema
    kinds, rows = smp_tables(defs)
    write_tsv(os.path.join(a.out, "smp_kinds.tsv"),
              ["apiVersion", "kind", "definition"], kinds)
    write_tsv(os.path.join(a.out, "smp_schema.tsv"),
              ["definition", "field", "type-ref", "is-list", "merge-key",
               "patch-strategy", "list-map-keys"], rows)
    print("wrote %d scope rows, %d kinds, %d schema rows to %s"
          % (len(ns_rows), len(kinds), len(rows), a.out), file=sys.stderr)


if __name__ == "__main__":
    main()

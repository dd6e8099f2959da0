#!/usr/bin/env python3
"""Extract the API server's field defaults for the built-in kinds from the
Kubernetes sources: the `SetDefaults_*` functions of
`pkg/apis/<group>/v1/defaults.go`, with the field names and constants of
`staging/src/k8s.io/api/<group>/v1/types.go` of the same tree.

A diff needs them for one case: Git removes a line that restated a default
(`imagePullPolicy: IfNotPresent`, `protocol: TCP`); applying that removes
the field and the API server sets it again to the same value, so it is no
difference (gitops-engine applies the scheme's defaults to the predicted
live object for the same reason).

Offline helper, NOT used at build time. Rerun by hand when the pinned
version changes:

    python3 crates/core/data/extract_defaults.py /path/to/kubernetes

Pinned source: Kubernetes 1.20.2, as Debian bookworm's `kubernetes` source
package ships it (`kubernetes_1.20.5+really1.20.2.orig.tar.gz`, `apt-get
source kubernetes`), the newest full Kubernetes source tree reachable from
this project's machines. Defaults added after 1.20 are not in the table
(their removal from Git reads as a change).

What is read: only defaults that hold whatever else the object says — an
`if FIELD == "" / nil / 0 / len(FIELD) == 0 { FIELD = VALUE }` at the top
of a `SetDefaults_*` function or in a loop over a list, with VALUE a
constant. Defaults under any other condition (a feature gate, another
field's value) are left out, except the one shape of `imagePullPolicy`:
`Always` when the image's tag is `latest`, the other value otherwise.

Output (next to this script): defaults.tsv, rows of

    context  field  default  default-when-image-tag-is-latest (or -)

where context is either `field:NAME` — the default holds in every object
reached through a field named NAME (a type's own defaults, such as a
Container's; written only when every API type reached through a field of
that name that has the field agrees) —, `field:OUTER.NAME` where NAME alone
is not enough (`field:containers.ports`, `protocol`: a ContainerPort's, not
a PortStatus's), or `kind:GROUP/KIND.PATH`, a default
a kind's defaulting function sets at that path (`kind:/Service.spec.ports`,
`protocol`, `TCP`; lists are passed through).
"""

import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1])
GROUPS = ["core", "apps", "batch", "autoscaling", "networking", "policy", "rbac", "storage", "scheduling"]
API_GROUP = {
    "core": "", "apps": "apps", "batch": "batch", "autoscaling": "autoscaling",
    "networking": "networking.k8s.io", "policy": "policy", "rbac": "rbac.authorization.k8s.io",
    "storage": "storage.k8s.io", "scheduling": "scheduling.k8s.io",
}

# ---------------------------------------------------------------- types.go
STRUCT = re.compile(r"^type (\w+) struct \{$")
FIELD = re.compile(r"^\t(?:(\w+)\s+)?([\w\.\*\[\]]+)\s+`(.*)`")
MARKER = re.compile(r"^\t// \+default=(.+)$")
JSON = re.compile(r'json:"([^"]*)"')
IMPORT = re.compile(r'^\s*(\w+)?\s*"k8s\.io/api/(\w+)/v1"')

structs = {}    # (group, Name) -> list of (json, gotype, import-map)
constants = {}  # (group, Name) -> Go literal text
kinds = {}      # (group, Name) -> True when it has TypeMeta inline
markers = []    # (type key, Go field name, Go literal): `// +default=` markers


def imports_of(text):
    out = {}
    for line in text.splitlines():
        if m := IMPORT.match(line):
            out[m.group(1) or "v1"] = m.group(2)
    return out


for group in GROUPS:
    path = root / "staging/src/k8s.io/api" / group / "v1" / "types.go"
    if not path.exists():
        continue
    text = path.read_text()
    imports = imports_of(text)
    current = None
    in_const = False
    marker = None
    for line in text.splitlines():
        if line.startswith("const ("):
            in_const = True
            continue
        if in_const and line.startswith(")"):
            in_const = False
            continue
        if in_const or line.startswith("const "):
            m = re.match(r"^(?:const )?\s*(\w+)\s*(?:[\w\.]+)?\s*=\s*(.+?)\s*(//.*)?$", line)
            if m:
                constants[(group, m.group(1))] = m.group(2)
            continue
        if m := STRUCT.match(line):
            current = (group, m.group(1))
            structs[current] = []
            continue
        if current is None:
            continue
        if line == "}":
            current = None
            continue
        if m := MARKER.match(line):
            marker = m.group(1)
            continue
        if m := FIELD.match(line):
            name, gotype, tag = m.groups()
            if marker is not None and name is not None:
                markers.append((current, name, marker))
            marker = None
            j = JSON.search(tag)
            if not j:
                continue
            json_name = j.group(1).split(",")[0]
            if name is None:  # embedded
                if gotype.endswith("TypeMeta"):
                    kinds[current] = True
                structs[current].append(("<inline>", gotype, imports, gotype))
                continue
            structs[current].append((json_name, gotype, imports, name))


def resolve_type(group, gotype, imports):
    """The struct a Go field type names, through pointers and slices."""
    t = gotype.lstrip("*")
    while t.startswith("[]"):
        t = t[2:].lstrip("*")
    if "." in t:
        qualifier, name = t.split(".", 1)
        if qualifier not in imports:
            return None
        key = (imports[qualifier], name)
    else:
        key = (group, t)
    return key if key in structs else None


def go_fields(key):
    """Go field name -> (json name, type key), inline embeddings expanded."""
    out = {}
    for json_name, gotype, imports, name in structs.get(key, []):
        if json_name == "<inline>":
            inner = resolve_type(key[0], gotype, imports)
            if inner:
                out.update(go_fields(inner))
            continue
        out[name] = (json_name, resolve_type(key[0], gotype, imports))
    return out


def json_fields(key):
    return {j for j, _ in go_fields(key).values()}


# ---------------------------------------------------------------- values
def literal(group, expr, imports, local_consts):
    """A constant expression as JSON text, or None."""
    expr = expr.strip()
    if m := re.fullmatch(r"(?:int32|int64|int)\((.+)\)", expr):
        return literal(group, m.group(1), imports, local_consts)
    if m := re.fullmatch(r"utilpointer\.(?:Int32Ptr|Int64Ptr|BoolPtr|StringPtr)\((.+)\)", expr):
        return literal(group, m.group(1), imports, local_consts)
    if re.fullmatch(r'"[^"]*"', expr):
        return expr[1:-1]
    if expr in ("true", "false"):
        return expr
    if re.fullmatch(r"0[0-7]+", expr):
        return str(int(expr, 8))
    if re.fullmatch(r"-?\d+", expr):
        return str(int(expr))
    if m := re.fullmatch(r"(\w+)\.(\w+)", expr):
        qualifier, name = m.groups()
        if qualifier in imports and (imports[qualifier], name) in constants:
            return literal(imports[qualifier], constants[(imports[qualifier], name)], imports, {})
        return None
    if re.fullmatch(r"\w+", expr):
        if expr in local_consts:
            return literal(group, local_consts[expr], imports, {})
        if (group, expr) in constants:
            return literal(group, constants[(group, expr)], imports, {})
    return None


# ---------------------------------------------------------------- defaults.go
FUNC = re.compile(r"^func SetDefaults_(\w+)\(obj \*(\w+)\.(\w+)\) \{$")
SIMPLE_IF = re.compile(r"^if (?:len\()?([\w\.\[\]\*\(\)]+?)\)? == (\"\"|nil|0) \{$")
FOR = re.compile(r"^for (\w+) := range ([\w\.\[\]]+) \{$")
ALIAS = re.compile(r"^(\w+) := &([\w\.\[\]]+)$")
LOCAL = re.compile(r"^(\w+) := (.+)$")
ASSIGN = re.compile(r"^\*?\(?([\w\.\[\]]+)\)? = (.+)$")

rows = []  # (owner type key, kind key or None, path from kind, json field, value, latest value)


def expand(path, aliases, index_vars):
    head, _, rest = path.partition(".")
    head = re.sub(r"\[\w+\]$", "", head)
    if head in aliases:
        path = aliases[head] + ("." + rest if rest else "")
    for var in index_vars:
        path = path.replace(f"[{var}]", "[]")
    return path


def walk_path(kind_key, path):
    """obj.A.B[].c -> (owner type key, json path from the kind, json field)."""
    steps = path.split(".")
    if steps[0] != "obj":
        return None
    key = kind_key
    json_path = []
    for i, step in enumerate(steps[1:]):
        step = step.replace("[]", "")
        fields = go_fields(key)
        if step not in fields:
            return None
        json_name, next_key = fields[step]
        if i == len(steps) - 2:
            return key, json_path, json_name
        if next_key is None:
            return None
        json_path.append(json_name)
        key = next_key
    return None


for group in GROUPS:
    path = root / "pkg/apis" / group / "v1" / "defaults.go"
    if not path.exists():
        continue
    text = path.read_text()
    imports = imports_of(text)
    lines = [l.strip() for l in text.splitlines()]
    i = 0
    while i < len(lines):
        m = FUNC.match(lines[i])
        i += 1
        if not m:
            continue
        _, qualifier, type_name = m.groups()
        kind_key = (imports.get(qualifier, group), type_name)
        if kind_key not in structs:
            continue
        # A block stack: ("func"|"for"|"default"|"latest"|"notlatest"|"other", lhs)
        stack = [("func", None)]
        aliases, index_vars, locals_, pending = {}, [], {}, {}
        while i < len(lines) and stack:
            line = lines[i]
            i += 1
            if not line or line.startswith("//"):
                continue
            if line.startswith("} else"):
                kind, lhs = stack.pop()
                stack.append(("notlatest" if kind == "latest" and line == "} else {" else "other", lhs))
                continue
            if line.startswith("}"):
                # `}`, `},`, `})`: the block (or composite literal) ends.
                for _ in range(line.count("}") - line.count("{")):
                    if stack:
                        stack.pop()
                continue
            top = stack[-1][0]
            plain = all(k in ("func", "for") for k, _ in stack)
            if m := FOR.match(line):
                index_vars.append(m.group(1))
                stack.append(("for" if plain else "other", None))
                continue
            if m := ALIAS.match(line):
                aliases[m.group(1)] = expand(m.group(2), aliases, index_vars)
                continue
            if m := SIMPLE_IF.match(line):
                if plain:
                    stack.append(("default", expand(m.group(1), aliases, index_vars)))
                else:
                    stack.append(("other", None))
                continue
            if line == 'if tag == "latest" {' and top == "default":
                stack.append(("latest", stack[-1][1]))
                continue
            opened = line.count("{") - line.count("}")
            if opened > 0:
                # Another block, or a composite literal spanning lines.
                stack.extend([("other", None)] * opened)
                continue
            if top in ("default", "latest", "notlatest"):
                lhs = stack[-1][1]
                if m := LOCAL.match(line):
                    locals_[m.group(1)] = m.group(2)
                    continue
                if m := ASSIGN.match(line):
                    target = expand(m.group(1), aliases, index_vars)
                    if target != lhs:
                        continue
                    expr = m.group(2)
                    if expr.startswith("new("):
                        continue
                    if expr.startswith("&") and expr[1:] in locals_:
                        expr = locals_[expr[1:]]
                    value = literal(group, expr, imports, {})
                    if value is None:
                        print(f"skipped {group} {type_name}: {line}", file=sys.stderr)
                        continue
                    pending.setdefault(lhs, {})[top] = value
                    if top == "default":
                        pass
            if len(stack) == 1:
                # Back at the function's top: write what its blocks set.
                for lhs, values in pending.items():
                    where = walk_path(kind_key, lhs)
                    if where is None:
                        print(f"unresolved {group} {type_name}: {lhs}", file=sys.stderr)
                        continue
                    owner, json_path, field = where
                    if "default" in values:
                        rows.append((owner, kind_key, json_path, field, values["default"], "-"))
                    elif "latest" in values and "notlatest" in values:
                        rows.append((owner, kind_key, json_path, field, values["notlatest"], values["latest"]))
                pending = {}
        for lhs, values in pending.items():
            where = walk_path(kind_key, lhs)
            if where and "default" in values:
                owner, json_path, field = where
                rows.append((owner, kind_key, json_path, field, values["default"], "-"))
            elif where and "latest" in values and "notlatest" in values:
                owner, json_path, field = where
                rows.append((owner, kind_key, json_path, field, values["notlatest"], values["latest"]))

for key, name, value in markers:
    fields = go_fields(key)
    text = literal(key[0], value, {}, {})
    if name in fields and text is not None:
        rows.append((key, None, [], fields[name][0], text, "-"))

# ---------------------------------------------------------------- contexts
parents = {}  # type key -> set of field names reaching it
for key in structs:
    for json_name, sub in go_fields(key).values():
        if sub is not None:
            parents.setdefault(sub, set()).add(json_name)

type_defaults = {}  # (type key, field) -> (value, latest): set by the type's own function
any_defaults = {}   # (type key, field) -> set of (value, latest): set anywhere
out = set()
for owner, kind_key, json_path, field, value, latest in rows:
    if kind_key is not None and kinds.get(kind_key):
        # A kind's own defaulting function: at its path.
        context = f"kind:{API_GROUP[kind_key[0]]}/{kind_key[1]}" + "".join("." + p for p in json_path)
        out.add((context, field, value, latest))
    else:
        type_defaults[(owner, field)] = (value, latest)
    any_defaults.setdefault((owner, field), set()).add((value, latest))

by_parent = {}
for (owner, field), values in type_defaults.items():
    for name in parents.get(owner, ()):
        by_parent.setdefault((name, field), set()).add(values)
for (name, field), values in sorted(by_parent.items()):
    # Every type reached through a field of that name that has this field
    # must default it the same way.
    holders = [k for k, ps in parents.items() if name in ps and field in json_fields(k)]
    agreed = len(values) == 1 and all(any_defaults.get((k, field)) == values for k in holders)
    if not agreed:
        # The two field names above may tell: `protocol` of `containers` >
        # `ports` (a ContainerPort) is TCP, of `status`...`ports` it is not.
        pairs = set()
        for outer, outer_names in parents.items():
            for json_name, sub in go_fields(outer).values():
                if json_name == name and sub is not None and field in json_fields(sub):
                    pairs.update((g, sub) for g in outer_names)
        for g in sorted({g for g, _ in pairs}):
            reached = [sub for h, sub in pairs if h == g]
            found = {v for sub in reached for v in any_defaults.get((sub, field), {("?", "?")})}
            if len(found) == 1 and ("?", "?") not in found:
                value, latest = next(iter(found))
                out.add((f"field:{g}.{name}", field, value, latest))
        print(f"ambiguous alone: field:{name} {field} {sorted(values)}", file=sys.stderr)
        continue
    value, latest = next(iter(values))
    out.add((f"field:{name}", field, value, latest))

target = pathlib.Path(__file__).with_name("defaults.tsv")
with target.open("w") as f:
    f.write("# context\tfield\tdefault\tdefault-when-image-tag-is-latest (generated by extract_defaults.py from Kubernetes 1.20.2)\n")
    for row in sorted(out):
        f.write("\t".join(row) + "\n")
print(f"{len(out)} rows -> {target}", file=sys.stderr)

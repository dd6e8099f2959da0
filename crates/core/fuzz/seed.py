#!/usr/bin/env python3
"""Seeds the corpora of the cargo-fuzz targets from the repository's test
fixtures (see FUZZING.md). Run from anywhere; writes crates/core/fuzz/corpus/
(ignored by Git). Inputs are cut to 8 KiB, as the documented runs use
-max_len=8192."""

import hashlib
import pathlib

FUZZ = pathlib.Path(__file__).resolve().parent
ROOT = FUZZ.parent.parent.parent
CONFORMANCE = ROOT / "tests" / "conformance"
LIMIT = 8192


def write(target, data):
    folder = FUZZ / "corpus" / target
    folder.mkdir(parents=True, exist_ok=True)
    data = data[:LIMIT]
    (folder / hashlib.sha1(data).hexdigest()[:16]).write_bytes(data)


def read(path):
    return path.read_bytes() if path.is_file() else b""


cases = sorted(p for p in CONFORMANCE.iterdir() if p.is_dir())
for case in cases:
    kustomization = read(case / "kustomization.yaml")
    others = [p for p in sorted(case.rglob("*.yaml")) if p.name not in ("kustomization.yaml", "expected.yaml")]
    for path in others + [case / "kustomization.yaml"]:
        write("yaml_read", read(path))
    resources = b"---\n".join(read(p) for p in others[:2])
    base = read(case / "base" / "kustomization.yaml")
    base_resources = b"---\n".join(read(p) for p in sorted((case / "base").glob("*.yaml")) if p.name != "kustomization.yaml")
    patch = read(others[-1]) if others else b""
    write("render", b"\0".join([kustomization, base, resources, base_resources, patch, b"A=1\nB=two\n"]))
    if len(others) >= 2:
        write("patch", read(others[0]) + b"\0" + read(others[-1]))
    expected = read(case / "expected.yaml")
    if expected:
        write("diff", expected + b"\0" + expected.replace(b"replicas: 1", b"replicas: 2"))

diff = ROOT / "tests" / "fixtures" / "diff"
write("diff", read(diff / "desired.yaml")[:4000] + b"\0" + read(diff / "desired.yaml")[:4000].replace(b"image:", b"image: x"))
write("patch", b"spec: {replicas: 1, list: [a, b]}\0- {op: copy, from: /spec/list, path: /spec/list/-}\n")
for rev in ["HEAD", "HEAD~1", "HEAD^", "v1", "main", "release", "main@{0}", "HEAD^{tree}",
            "v1^{commit}", ":/second", "HEAD~1..HEAD", "@", "refs/tags/v1", "HEAD^2", "main~0^0"]:
    write("git_revision", rev.encode())
print("corpora:", ", ".join(f"{p.name} {len(list(p.iterdir()))}" for p in sorted((FUZZ / "corpus").iterdir())))

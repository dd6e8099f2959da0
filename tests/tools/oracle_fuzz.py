#!/usr/bin/env python3
"""Differential check of trueup's YAML printer against the real kustomize.

For each seed, writes a kustomization whose one ConfigMap holds hundreds of
random tricky strings, renders it with trueup and with
../shared/oracle/kustomize-oracle, and reports any byte difference. It needs
the oracle, so it is a developer tool, not part of CI:

    cargo build && python3 tests/tools/oracle_fuzz.py 101 120

Seeds up to 100 also use random mapping keys. For such keys go-yaml v2's key
order is not a total order and kustomize itself prints them in a random order
(run it twice and compare), so only seeds above 100 are expected to match.
"""
import json
import os
import random
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
ORACLE = os.path.join(REPO, "..", "shared", "oracle", "kustomize-oracle")
TRUEUP = os.path.join(REPO, "target", "debug", "trueup")

PIECES = list("ab xyz019:#-?*&!|>'\"%@`,[]{}.~_=/\\\t\n") + [
    "é", "😀", "\u00a0", "\u2028", "yes", "no", "on", "true", "null", "0x", "1e",
    "2024-01-01", "  ", "\n\n", " \n", "\r",
]
WORDS = ["word", "a:b", "x #y", "'q'", '"d"', "\t", "é", "  ", "-", "123"]


def short(rng):
    return "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 12)))


def long(rng):
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(10, 40)))


def generate(folder, seed):
    rng = random.Random(seed)
    data = {f"k{i}": short(rng) if i % 4 else long(rng) for i in range(400)}
    keys = {(("k" if seed > 100 else short(rng)) + str(i)): "v" for i in range(100)}
    obj = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "fuzz"},
        "data": data,
        "keys": keys,
        "seq": [short(rng) for _ in range(50)],
        "nested": {"a": [{"b": long(rng)}, [long(rng)]]},
    }
    with open(os.path.join(folder, "kustomization.yaml"), "w") as f:
        f.write("resources:\n- a.yaml\n")
    # JSON is YAML; a raw U+2028 would be a line break to go-yaml, so escape it.
    text = json.dumps(obj, ensure_ascii=False).replace("\u2028", "\\u2028")
    with open(os.path.join(folder, "a.yaml"), "w") as f:
        f.write(text)


def run(cmd):
    p = subprocess.run(cmd, capture_output=True)
    return p.returncode, p.stdout


def main(first, last):
    differing = 0
    for seed in range(first, last + 1):
        with tempfile.TemporaryDirectory() as folder:
            generate(folder, seed)
            ours = run([TRUEUP, "build", folder])
            theirs = run([ORACLE, "build", folder])
            if ours != theirs:
                differing += 1
                print(f"seed {seed}: differs (exit codes {ours[0]} vs {theirs[0]})")
    print(f"{last - first + 1 - differing} passed, {differing} failed")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]), int(sys.argv[2])))

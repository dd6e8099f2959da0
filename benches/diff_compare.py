#!/usr/bin/env python3
"""trueup's three-way diff against what a Python user would write today.

The baseline: PyYAML (CSafeLoader) loads desired and live state, strips what
the server owns (status, uid, resourceVersion, generation,
creationTimestamp, managedFields, selfLink, the last-applied annotation),
pairs objects by kind/namespace/name and runs DeepDiff on each pair; an
object differs when DeepDiff reports anything. trueup: `trueup.load_manifests`
+ `trueup.diff` in the same Python process, and the `trueup diff` CLI as a
whole process (start, parse, diff, print JSON). Both see the same generated
application (tests/common/diff_fixture.rs), whose true verdicts are known.

    cargo build --release --examples && cargo build --release
    ./scripts/test.sh   # or: maturin develop in .venv
    .venv/bin/pip install pyyaml deepdiff
    .venv/bin/python benches/diff_compare.py

Prints a Markdown table for benches/README.md. A developer tool, not CI.
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import yaml
from deepdiff import DeepDiff

import trueup

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
TRUEUP = os.path.join(REPO, "target", "release", "trueup")
WRITER = os.path.join(REPO, "target", "release", "examples", "write_diff_fixture")
SERVER_METADATA = ("uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink")
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def strip(obj):
    obj.pop("status", None)
    meta = obj.get("metadata", {})
    for field in SERVER_METADATA:
        meta.pop(field, None)
    annotations = meta.get("annotations") or {}
    annotations.pop(LAST_APPLIED, None)
    if not annotations:
        meta.pop("annotations", None)
    return obj


def key(obj):
    meta = obj.get("metadata", {})
    return (obj.get("kind"), meta.get("namespace", "default"), meta.get("name"))


def baseline(desired_path, live_path):
    """What a Python user writes today: returns timings and verdicts. Live
    state from `kubectl get -o json` is read with the json module."""
    start = time.perf_counter()
    with open(desired_path) as f:
        desired = [d for d in yaml.load_all(f, Loader=yaml.CSafeLoader) if d]
    with open(live_path) as f:
        if live_path.endswith(".json"):
            live_list = json.load(f)
        else:
            live_list = yaml.load(f, Loader=yaml.CSafeLoader)
    live = live_list["items"]
    parsed = time.perf_counter()
    live_by_key = {key(o): strip(o) for o in live}
    verdicts = {"synced": 0, "outOfSync": 0, "missing": 0, "extraneous": 0}
    seen = set()
    for obj in desired:
        k = key(obj)
        seen.add(k)
        other = live_by_key.get(k)
        if other is None:
            verdicts["missing"] += 1
        elif DeepDiff(strip(obj), other):
            verdicts["outOfSync"] += 1
        else:
            verdicts["synced"] += 1
    for k, obj in live_by_key.items():
        annotations = obj.get("metadata", {}).get("annotations") or {}
        tracking_id = annotations.get("argocd.argoproj.io/tracking-id", "")
        if k not in seen and tracking_id.startswith("shop:"):
            verdicts["extraneous"] += 1
    done = time.perf_counter()
    return parsed - start, done - parsed, verdicts


def in_process(desired_path, live_path):
    start = time.perf_counter()
    desired = trueup.load_manifests_file(desired_path)
    live = trueup.load_manifests_file(live_path)
    parsed = time.perf_counter()
    report = trueup.diff(desired, live, app="shop")
    done = time.perf_counter()
    return parsed - start, done - parsed, report["summary"]


def cli(desired_path, live_path):
    start = time.perf_counter()
    out = subprocess.run(
        [TRUEUP, "diff", desired_path, "--live", live_path, "--app", "shop", "-o", "json"],
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    if out.returncode not in (0, 1):
        sys.exit(out.stderr)
    return elapsed, json.loads(out.stdout)["summary"]


def median_runs(fn, runs):
    results = [fn() for _ in range(runs)]
    return results, [statistics.median(column) for column in zip(*[r[:-1] for r in results])]


def main():
    work = tempfile.mkdtemp(prefix="trueup-diff-")
    subprocess.run([WRITER, work, "300"], check=True)
    desired_path = os.path.join(work, "desired.yaml")
    live_path = os.path.join(work, "live.yaml")
    with open(os.path.join(work, "truth.json")) as f:
        truth = json.load(f)

    base_runs, (base_parse, base_compare) = median_runs(lambda: baseline(desired_path, live_path), 3)
    base_verdicts = base_runs[0][-1]
    tu_runs, (tu_parse, tu_compare) = median_runs(lambda: in_process(desired_path, live_path), 5)
    tu_verdicts = tu_runs[0][-1]
    cli_runs, (cli_total,) = median_runs(lambda: cli(desired_path, live_path), 5)
    cli_verdicts = cli_runs[0][-1]
    # The whole Python process for the baseline: interpreter start and imports too.
    def base_process_time(live):
        times = []
        for _ in range(3):
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, "-c",
                 f"import sys; sys.path.insert(0, {HERE!r}); import diff_compare as d; d.baseline({desired_path!r}, {live!r})"],
                check=True,
            )
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    base_process = base_process_time(live_path)
    # The same live state as `kubectl get -o json` prints it.
    live_json = os.path.join(work, "live.json")
    with open(live_path) as f, open(live_json, "w") as out:
        json.dump(yaml.load(f, Loader=yaml.CSafeLoader), out, indent=4)
    base_process_json = base_process_time(live_json)
    json_runs, (cli_json_total,) = median_runs(lambda: cli(desired_path, live_json), 5)

    expected = {k: truth[k] for k in ("synced", "outOfSync", "missing", "extraneous")}
    print(f"{truth['desired']} desired objects, {truth['live']} live objects; true verdicts {expected}\n")
    print("| step | Python (PyYAML CSafeLoader + DeepDiff) | trueup | ratio |")
    print("| --- | --- | --- | --- |")
    print(f"| parse | {base_parse:.3f} s | {tu_parse:.3f} s (in Python) | {base_parse / tu_parse:.0f}x |")
    print(f"| compare | {base_compare:.3f} s | {tu_compare:.3f} s (in Python) | {base_compare / tu_compare:.0f}x |")
    print(f"| end to end, whole process | {base_process:.3f} s | {cli_total:.3f} s (`trueup diff -o json`) | {base_process / cli_total:.0f}x |")
    print(f"| end to end, live as JSON (`kubectl get -o json`; Python reads it with `json`) | {base_process_json:.3f} s | {cli_json_total:.3f} s | {base_process_json / cli_json_total:.0f}x |")
    print()
    print(f"- baseline verdicts: {base_verdicts}")
    print(f"- trueup verdicts (Python): {tu_verdicts}")
    print(f"- trueup verdicts (CLI): {cli_verdicts}")
    print(f"- trueup verdicts (CLI, JSON live): {json_runs[0][-1]}")
    ok = tu_verdicts == expected and cli_verdicts == expected and json_runs[0][-1] == expected
    print(f"- trueup matches the truth: {ok}")


if __name__ == "__main__":
    main()

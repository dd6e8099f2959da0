#!/usr/bin/env python3
"""trueup against the real kustomize on the generated benchmark repository.

Writes 300 overlays (benches/bench_repo.rs: 100 services x dev/staging/prod),
renders every one with kustomize (the oracle's shared library, in-process, so
no process start is counted) and with trueup, checks the outputs are
byte-identical, and prints a Markdown table for benches/README.md:

    cargo build --release --examples && cargo build --release
    python3 benches/compare.py

Both renderers are also timed in-process on one thread (kustomize through
the oracle's library, trueup through examples/time_overlays.rs: render and
print), three times each, alternating, and the medians are compared; the
whole `trueup build --all` process runs five times in each of the three
rounds, and its median is compared. Last, paired runs: each whole process
(one thread) beside kustomize building 30 overlays, one ratio per pair, so
that the VM's slow and fast spells fall on both sides of each ratio.

Needs ../shared/oracle/kustomize-oracle (a developer tool, not CI).
"""
import importlib.machinery
import importlib.util
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
TRUEUP = os.path.join(REPO, "target", "release", "trueup")
WRITER = os.path.join(REPO, "target", "release", "examples", "write_bench_repo")
TIMER = os.path.join(REPO, "target", "release", "examples", "time_overlays")
ORACLE = os.path.join(REPO, "..", "shared", "oracle", "kustomize-oracle")


# Paired measurement: how many pairs, and how many overlays kustomize
# builds in each (about as long as ten whole-process runs).
PAIRS = 21
PAIR_SLICE = 30


def output_file_name(overlay):
    """The file `trueup build --all` writes an overlay to (core's output_file_name)."""
    return overlay.replace("%", "%25").replace("/", "%2F") + ".yaml"


def load_oracle():
    loader = importlib.machinery.SourceFileLoader("kustomize_oracle", ORACLE)
    spec = importlib.util.spec_from_loader("kustomize_oracle", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def timed(cmd):
    """Wall time and peak RSS (KiB) of a command, via GNU time."""
    start = time.perf_counter()
    out = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if out.returncode != 0:
        sys.exit(f"{cmd} failed:\n{out.stderr}")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", out.stderr).group(1))
    return elapsed, rss


def main():
    work = tempfile.mkdtemp(prefix="trueup-compare-")
    root = os.path.join(work, "repo")
    overlays = subprocess.run([WRITER, root], capture_output=True, text=True, check=True).stdout.split()
    assert len(overlays) == 300, len(overlays)

    oracle = load_oracle()
    lib = oracle.library()
    kustomize_out = {}
    kustomize_runs, trueup_runs = [], []
    whole = {1: [], 2: []}
    # Rounds alternate the renderers, so that the VM's slow and fast spells
    # fall on all of them alike; the whole process runs five times a round.
    for _ in range(3):
        # trueup first: kustomize runs inside this process (the oracle's Go
        # library), and the Go runtime's collector goes on working on the
        # second core for a while after a build.
        for jobs in (1, 2):
            for _ in range(5):
                out = os.path.join(work, f"out-{jobs}")
                shutil.rmtree(out, ignore_errors=True)
                whole[jobs].append(timed([TRUEUP, "build", "--all", root, "--out", out, "--jobs", str(jobs)]))
        out = subprocess.run([TIMER, root, "3"] + overlays, capture_output=True, text=True, check=True)
        trueup_runs.append(float(out.stdout) / 1000)
        start = time.perf_counter()
        for overlay in overlays:
            text, err = oracle.build(lib, os.path.join(root, overlay), {})
            if err is not None:
                sys.exit(f"kustomize failed on {overlay}: {err}")
            kustomize_out[overlay] = text
        kustomize_runs.append((time.perf_counter() - start) / len(overlays) * 1000)
    # Paired: this VM's speed drifts over seconds, so the medians above can
    # fall on different spells. Here each whole-process run (one thread)
    # sits beside kustomize building a slice of the overlays in-process,
    # and each pair gives its own ratio.
    pair_ratios = []
    for i in range(PAIRS):
        out = os.path.join(work, "out-paired")
        shutil.rmtree(out, ignore_errors=True)
        elapsed, _ = timed([TRUEUP, "build", "--all", root, "--out", out, "--jobs", "1"])
        start_at = (i * PAIR_SLICE) % len(overlays)
        chunk = overlays[start_at : start_at + PAIR_SLICE]
        start = time.perf_counter()
        for overlay in chunk:
            oracle.build(lib, os.path.join(root, overlay), {})
        per_overlay = (time.perf_counter() - start) / len(chunk)
        pair_ratios.append(per_overlay / (elapsed / len(overlays)))
    pair_ratios.sort()
    kustomize_runs.sort()
    trueup_runs.sort()
    per_kustomize = kustomize_runs[1]
    per_trueup = trueup_runs[1]
    kustomize_total = per_kustomize * len(overlays) / 1000

    rows = []
    for jobs in (1, 2):
        out = os.path.join(work, f"out-{jobs}")
        runs = sorted(elapsed for elapsed, _ in whole[jobs])
        rss = max(rss for _, rss in whole[jobs])
        rows.append((jobs, statistics.median(runs), runs[0], runs[-1], rss))
        mismatches = [
            o for o in overlays if open(os.path.join(out, output_file_name(o))).read() != kustomize_out[o]
        ]
        if mismatches:
            sys.exit(f"{len(mismatches)} overlays differ from kustomize, e.g. {mismatches[0]}")

    print("In-process, one thread, render and print (median of three runs):\n")
    print("| renderer | per overlay (runs) | vs kustomize |")
    print("| --- | --- | --- |")
    runs = lambda xs: ", ".join(f"{x:.3f}" for x in xs)
    print(f"| kustomize v5.8 | {per_kustomize:.2f} ms ({runs(kustomize_runs)}) | 1x |")
    print(f"| trueup | {per_trueup:.3f} ms ({runs(trueup_runs)}) | {per_kustomize / per_trueup:.0f}x |")
    print("\nWhole process for trueup (start, find, render, write 300 files; median of 15 runs;")
    print("best: the fastest run against kustomize's fastest):\n")
    print("| renderer | 300 overlays (range) | per overlay | vs kustomize (best) | vs trueup in-process | peak RSS |")
    print("| --- | --- | --- | --- | --- | --- |")
    print(f"| kustomize v5.8 (in-process, one thread) | {kustomize_total:.2f} s | {per_kustomize:.2f} ms | 1x | - | - |")
    for jobs, elapsed, fastest, slowest, rss in rows:
        per = elapsed / len(overlays) * 1000
        best = kustomize_runs[0] / (fastest / len(overlays) * 1000)
        print(
            f"| `trueup build --all --jobs {jobs}` (whole process) | {elapsed:.3f} s ({fastest:.3f}–{slowest:.3f})"
            f" | {per:.3f} ms | {per_kustomize / per:.0f}x ({best:.0f}x) | {per / per_trueup:.2f}x | {rss / 1024:.1f} MiB |"
        )
    print(
        f"\nPaired, one thread: each of {PAIRS} whole-process runs beside kustomize building"
        f" {PAIR_SLICE} overlays in-process: kustomize per overlay / trueup per overlay,"
        f" median **{statistics.median(pair_ratios):.0f}x** (range {pair_ratios[0]:.0f}–{pair_ratios[-1]:.0f}x)."
    )
    print(f"\nAll {len(overlays)} outputs byte-identical to kustomize.")


if __name__ == "__main__":
    main()

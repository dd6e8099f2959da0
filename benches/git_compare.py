#!/usr/bin/env python3
"""trueup's Git operations against the git CLI on a generated repository.

The repository: benches/git_repo.rs with 10,000 commits (the 300 overlays of
benches/bench_repo.rs in a first commit, then commits that each bump the
image tag of one overlay, chosen pseudo-randomly), written with
`git fast-import` and repacked. Measured:

- history of one environment path: `git log --format=... --name-only -- PATH`
  against `trueup history PATH -o json` (whole processes; same commits), on
  the repository as written, then with a commit-graph, then with a
  commit-graph holding changed-path Bloom filters;
- rendering an old revision: `git worktree add` + `trueup build` of the
  checkout + `git worktree remove`, against `trueup build PATH --rev REV`
  (whole processes; same bytes).

    cargo build --release --examples && cargo build --release
    python3 benches/git_compare.py

Prints a Markdown table for benches/README.md. A developer tool, not CI.
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
TRUEUP = os.path.join(REPO, "target", "release", "trueup")
WRITER = os.path.join(REPO, "target", "release", "examples", "write_git_bench_repo")
COMMITS = 10_000
ENV = {"PATH": os.environ["PATH"], "GIT_CONFIG_NOSYSTEM": "1", "HOME": tempfile.gettempdir()}


def run(cmd, cwd, **kw):
    out = subprocess.run(cmd, cwd=cwd, capture_output=True, env=ENV, **kw)
    if out.returncode != 0:
        sys.exit(f"{cmd} failed: {out.stderr.decode()[-2000:]}")
    return out.stdout


def timed(cmd, cwd, runs=7):
    times, out = [], None
    for _ in range(runs):
        start = time.perf_counter()
        out = run(cmd, cwd)
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def make_repo(work):
    """The repository of benches/git_repo.rs (the same generator as the
    criterion bench), checked out."""
    overlays = run([WRITER, work, str(COMMITS)], work).decode().split()
    repo = os.path.join(work, "repo")
    run(["git", "reset", "-q", "--hard", "main"], repo)
    return repo, overlays


def main():
    work = tempfile.mkdtemp(prefix="trueup-git-bench-")
    repo, overlays = make_repo(work)
    path = "apps/svc-042/overlays/prod"
    git_log_cmd = ["git", "log", "--format=%H%x09%an%x09%aI%x09%s", "--name-only", "--", path]
    git_time, git_out = timed(git_log_cmd, repo)
    tu_time, tu_out = timed([TRUEUP, "history", path, "-o", "json"], repo)
    git_ids = [line.split("\t")[0] for line in git_out.decode().splitlines() if "\t" in line]
    tu_ids = [c["id"] for c in json.loads(tu_out)]
    assert git_ids == tu_ids, (len(git_ids), len(tu_ids))

    # The same on copies with a commit-graph: as `git gc` writes it (commit
    # data, generation numbers), and with changed-path Bloom filters (as
    # `git commit-graph write --changed-paths` or hosting servers write it).
    graphs = []
    for label, extra in [("commit-graph", []), ("commit-graph with changed-path filters", ["--changed-paths"])]:
        copy = os.path.join(work, "repo-" + str(len(graphs)))
        shutil.copytree(repo, copy, symlinks=True)
        run(["git", "commit-graph", "write", "--reachable", *extra], copy)
        g_time, g_out = timed(git_log_cmd, copy, runs=15)
        t_time, t_out = timed([TRUEUP, "history", path, "-o", "json"], copy, runs=15)
        assert [c["id"] for c in json.loads(t_out)] == git_ids
        assert g_out == git_out
        graphs.append((label, g_time, t_time))

    # A deployment names the commit it synced: render that commit.
    old = run(["git", "rev-parse", "HEAD~8000"], repo).decode().strip()
    wt = os.path.join(work, "wt")

    def checkout_and_render(rev):
        start = time.perf_counter()
        run(["git", "worktree", "add", "-q", "--detach", wt, rev], repo)
        out = run([TRUEUP, "build", os.path.join(wt, path)], repo)
        run(["git", "worktree", "remove", "--force", wt], repo)
        return time.perf_counter() - start, out

    runs = [checkout_and_render(old) for _ in range(5)]
    checkout_time = statistics.median(r[0] for r in runs)
    rev_time, rev_out = timed([TRUEUP, "build", path, "--rev", old], repo)
    assert rev_out == runs[0][1]
    tilde_checkout = statistics.median(checkout_and_render("HEAD~8000")[0] for _ in range(3))
    tilde_time, tilde_out = timed([TRUEUP, "build", path, "--rev", "HEAD~8000"], repo)
    assert tilde_out == rev_out

    print(f"{COMMITS} commits touching {len(overlays)} overlays; {len(tu_ids)} commits in the history of {path}\n")
    print("| operation | git CLI | trueup | ratio |")
    print("| --- | --- | --- | --- |")
    print(f"| history of one environment (`git log -- PATH` / `trueup history PATH -o json`) | {git_time*1000:.0f} ms | {tu_time*1000:.0f} ms | {git_time/tu_time:.1f}x |")
    for label, g_time, t_time in graphs:
        print(f"| the same, with a {label} | {g_time*1000:.1f} ms | {t_time*1000:.1f} ms | {g_time/t_time:.1f}x |")
    print(f"| render one overlay at the commit 8,000 back, by id (`git worktree add` + `trueup build` + remove / `trueup build --rev ID`) | {checkout_time*1000:.0f} ms | {rev_time*1000:.0f} ms | {checkout_time/rev_time:.1f}x |")
    print(f"| the same, spelled `HEAD~8000` (both walk 8,000 parents) | {tilde_checkout*1000:.0f} ms | {tilde_time*1000:.0f} ms | {tilde_checkout/tilde_time:.1f}x |")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

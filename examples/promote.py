#!/usr/bin/env python3
"""Promote what staging ran to prod as a pull request: trueup makes the
commit on a `deploy/<env>-<release id>` branch (refusing digests staging
never ran), this script pushes the branch with `git push` and opens the pull
request through GitHub's REST API. trueup itself never pushes or calls a
forge.

    GITHUB_TOKEN=... python3 examples/promote.py \\
        --from apps/shop/overlays/staging --to apps/shop/overlays/prod \\
        --repo-slug acme/shop [--release release.yaml] [--base main] \\
        [--remote origin] [--api https://api.github.com]

Exit 0 when the pull request is open (or already was), 1 when the promotion
is refused as untested, 2 on any other error.
"""
import argparse
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

import trueup


def main(argv=None):
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--from", dest="source", required=True)
    args.add_argument("--to", dest="target", required=True)
    args.add_argument("--repo-slug", required=True, help="owner/name on GitHub")
    args.add_argument("--release")
    args.add_argument("--base", default="main")
    args.add_argument("--remote", default="origin")
    args.add_argument("--api", default="https://api.github.com")
    args.add_argument("--repo", default=".")
    opts = args.parse_args(argv)
    release = trueup.ReleaseManifest.load(opts.release) if opts.release else None
    try:
        promotion = trueup.promote(opts.source, opts.target, release=release, base=opts.base, repo=opts.repo)
    except trueup.UntestedError as err:
        print(f"refused: {err}", file=sys.stderr)
        return 1
    # Push the promotion's commit as its branch (a no-op when it is there).
    subprocess.run(
        ["git", "push", "--quiet", opts.remote, f"{promotion['commit']}:refs/heads/{promotion['branch']}"],
        cwd=opts.repo, check=True,
    )
    request = urllib.request.Request(
        f"{opts.api}/repos/{opts.repo_slug}/pulls",
        data=json.dumps({
            "title": promotion["title"],
            "body": promotion["body"],
            "head": promotion["branch"],
            "base": opts.base,
        }).encode(),
        headers={
            "Authorization": f"Bearer {os.environ.get('GITHUB_TOKEN', '')}",
            "Accept": "application/vnd.github+json",
            "Content-Type": "application/json",
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request) as response:
            url = json.load(response).get("html_url", "")
    except urllib.error.HTTPError as err:
        err.close()
        if err.code != 422:  # 422: a pull request for this branch exists
            raise
        url = "(already open)"
    print(f"{promotion['branch']} {promotion['commit']} {url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

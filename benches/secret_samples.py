#!/usr/bin/env python3
"""Precision and recall of `trueup verify`'s secret rules on labelled samples.

benches/secret-samples/*.tar.gz each hold a repository-like folder of
synthetic files (no value is a real credential) and `labels.yaml`: every
planted secret (`secret: true`) and lookalike (`secret: false`) with its
file and line. The archives are compressed so that secret scanners and push
protection do not take the synthetic tokens for leaks.

A labelled secret counts as found when a finding of rule private-key,
kubeconfig or credential is on its line (a PEM block: any of its lines).
Precision counts every such finding: one on a lookalike's line, or on a line
with no label at all, is a false positive.

    python3 benches/secret_samples.py        # needs the trueup Python module
"""
import pathlib
import sys
import tarfile
import tempfile

import yaml

RULES = {"private-key", "kubeconfig", "credential"}
SAMPLES = pathlib.Path(__file__).resolve().parent / "secret-samples"


def measure(archive):
    """(found, positives, true findings, findings, misses, false findings) of one sample."""
    import trueup

    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="data")
        (root,) = pathlib.Path(tmp).iterdir()
        labels = yaml.safe_load((root / "labels.yaml").read_text())
        (root / "labels.yaml").unlink()  # it holds the values themselves
        report = trueup.verify(root, remote=False)
    findings = [f for f in report.findings if f["rule"] in RULES]

    def on(label, finding):
        last = label.get("end_line", label["line"])
        return finding["file"] == label["file"] and label["line"] <= finding["line"] <= last

    positives = [l for l in labels if l["secret"]]
    misses = [l for l in positives if not any(on(l, f) for f in findings)]
    false = [f for f in findings if not any(l["secret"] and on(l, f) for l in labels)]
    return (
        len(positives) - len(misses),
        len(positives),
        len(findings) - len(false),
        len(findings),
        misses,
        false,
    )


def main():
    for archive in sorted(SAMPLES.glob("*.tar.gz")):
        found, positives, true, total, misses, false = measure(archive)
        print(
            f"{archive.name}: recall {found}/{positives} = {found / positives:.3f}, "
            f"precision {true}/{total} = {true / max(total, 1):.3f}"
        )
        for label in misses:
            print(f"  missed {label['file']}:{label['line']} {label['kind']}: {label.get('note', '')}")
        for finding in false:
            print(f"  false  {finding['file']}:{finding['line']} {finding['rule']}")


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env bash
# Runs every test of trueup: Rust (cargo test), Python (pytest over the PyO3
# module) and Node (node --test over the napi addon). Installs what it needs:
# a virtualenv in .venv with maturin and pytest, and npm packages in crates/node.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== Rust"
cargo test --workspace --all-targets
cargo test --workspace --doc

echo "== Python"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check "maturin>=1.16,<2" "pytest>=8"
.venv/bin/maturin develop --quiet --manifest-path crates/py/Cargo.toml
(cd crates/py && ../../.venv/bin/python -m pytest -q)

echo "== Node"
# `npm ci` trips over the lock file's optional platform packages (an npm bug); install honours the lock.
(cd crates/node && npm install --no-audit --no-fund --loglevel=error && npx napi build --platform && node --test test/)

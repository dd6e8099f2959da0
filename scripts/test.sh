#!/usr/bin/env bash
# Runs every test of trueup: Rust (cargo test), Python (pytest over the PyO3
# module) and Node (node --test over the napi addon). Installs what it needs:
# a virtualenv in .venv with maturin and pytest, and npm packages in crates/node
# (from the committed lock file, which no run rewrites).
#
# Every suite runs even when an earlier one fails; the script lists the failed
# suites at the end and exits non-zero if there is any. Tests that read
# ../shared skip with a note when it is absent; TRUEUP_REQUIRE_SHARED=1 (set by
# .ci/run) makes that an error.
set -uo pipefail
cd "$(dirname "$0")/.."

# One target folder and one profile for cargo, maturin and napi, so the engine
# compiles once for all three.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"

failed=()
suite() {
  local name=$1
  shift
  echo "== $name"
  if ! "$@"; then
    failed+=("$name")
    echo "!! $name failed"
  fi
}

rust_tests() {
  cargo test --workspace --all-targets && cargo test --workspace --doc
}

python_tests() {
  if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv || return 1
  fi
  .venv/bin/python -m pip install --quiet --disable-pip-version-check \
    "maturin>=1.16,<2" "pytest>=8" "mypy>=1.10" "jsonschema>=4.18" "pyyaml>=6" || return 1
  .venv/bin/maturin develop --quiet --manifest-path crates/py/Cargo.toml || return 1
  (cd crates/py && ../../.venv/bin/python -m pytest -q) || return 1
  # The committed stubs must describe the built module.
  .venv/bin/python -m mypy.stubtest trueup._trueup --allowlist crates/py/stubtest-allowlist.txt
}

node_tests() {
  (
    cd crates/node &&
      npm ci --no-audit --no-fund --loglevel=error &&
      npx napi build --platform &&
      node --test test/
  )
}

suite Rust rust_tests
suite Python python_tests
suite Node node_tests

if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]}"
  exit 1
fi
echo "every suite passed: Rust, Python, Node"

#!/usr/bin/env bash
# recur's .keras exports loaded by real Keras 3 (JAX backend, from PyPI into a venv):
# test_keras_files leaves each case's export in a directory, tests/keras_roundtrip.py loads
# them in Keras, compares predictions and continues training (see its docstring).
#   scripts/keras-roundtrip.sh [BUILD_DIR]      (default build; run after scripts/test.sh built it)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
venv=${RECUR_KERAS_VENV:-$build/keras-venv}

if [[ ! -x "$venv/bin/python" ]]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check keras jax h5py numpy
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
RECUR_KERAS_EXPORT_DIR="$out" "$build/tests/test_keras_files" >"$out/test.log" ||
  { cat "$out/test.log"; exit 1; }
grep worst "$out/test.log"
KERAS_BACKEND=jax PYTHONWARNINGS=ignore "$venv/bin/python" tests/keras_roundtrip.py "$out" \
  tests/data/keras/cases.txt

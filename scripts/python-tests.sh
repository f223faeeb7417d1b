#!/usr/bin/env bash
# The Python package's tests, as CI runs them: `pip install .` into fresh virtual
# environments, then pytest (tests/python):
#   1. Debian's Python with its site packages, where Debian's python3-torch (CPU-only) is
#      seen: recur.torch against torch.nn;
#   2. a venv with keras + jax + h5py from PyPI (Keras's JAX backend, never TensorFlow):
#      recur.keras against real Keras.
# Each runs the whole suite; a test whose framework is absent skips and says why.
#   scripts/python-tests.sh [WORK_DIR]        (default build/python-venvs)
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-build/python-venvs}
mkdir -p "$work"
# Debian's interpreter: the one python3-torch belongs to (a pyenv or conda python3 earlier
# on PATH would not see it)
py=/usr/bin/python3
pip_quiet=(-q --disable-pip-version-check)

echo "=== pip install . (with Debian's torch)"
rm -rf "$work/venv-torch"
"$py" -m venv --system-site-packages "$work/venv-torch"
"$work/venv-torch/bin/pip" install "${pip_quiet[@]}" . pytest
(cd "$work" && "$PWD/venv-torch/bin/python" -m pytest -q -rs "$OLDPWD/tests/python")

echo "=== pip install . (with Keras 3 on JAX)"
rm -rf "$work/venv-keras"
"$py" -m venv "$work/venv-keras"
"$work/venv-keras/bin/pip" install "${pip_quiet[@]}" . pytest keras jax h5py
(cd "$work" && KERAS_BACKEND=jax PYTHONWARNINGS=ignore \
   "$PWD/venv-keras/bin/python" -m pytest -q -rs "$OLDPWD/tests/python")

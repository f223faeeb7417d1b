#!/usr/bin/env bash
# Set up and run the whole test suite, as CI does:
#   1. the tests once under each ISA this machine runs (RECUR_ISA=scalar, avx2, avx512),
#   2. the tests built with -fsanitize=address,undefined,
#   3. the NEON build (cross-compiled for AArch64) under qemu-aarch64,
#   4. recur's .keras exports loaded, run and trained on by Keras 3 (JAX, from PyPI),
#   5. the Python package: `pip install .` in fresh venvs, pytest with Debian's torch and
#      with Keras 3 on JAX (scripts/python-tests.sh),
#   6. each libFuzzer harness for 30 s (RECUR_FUZZ_SECONDS),
#   7. the default build once more, last, so its summary closes the log.
# Set RECUR_SKIP_NEON=1 to skip step 3 on a machine without the cross toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${RECUR_SKIP_NEON:-0}" == 1 ]]; then bash scripts/install-deps.sh; else bash scripts/install-deps.sh --neon; fi

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build

for isa in $(build/tests/print_isas); do
  echo "=== tests with RECUR_ISA=$isa"
  RECUR_ISA=$isa ctest --test-dir build --output-on-failure
done

echo "=== tests under AddressSanitizer and UndefinedBehaviorSanitizer"
cmake -S . -B build-sanitize -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRECUR_SANITIZE=ON \
      -DRECUR_BUILD_BENCHMARKS=OFF
cmake --build build-sanitize
RECUR_TEST_QUICK=1 LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp" \
  ctest --test-dir build-sanitize --output-on-failure

if [[ "${RECUR_SKIP_NEON:-0}" != 1 ]]; then
  echo "=== NEON: cross-compiled for AArch64, run under qemu-aarch64"
  cmake -S . -B build-neon -G Ninja -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_TOOLCHAIN_FILE=scripts/aarch64-toolchain.cmake -DRECUR_BUILD_BENCHMARKS=OFF \
        -DRECUR_MPI=OFF
  cmake --build build-neon
  for isa in scalar neon; do
    RECUR_ISA=$isa RECUR_TEST_QUICK=1 ctest --test-dir build-neon --output-on-failure
  done
fi

echo "=== recur's .keras exports in Keras 3 (JAX backend)"
bash scripts/keras-roundtrip.sh build

echo "=== the Python package (pip install ., pytest)"
bash scripts/python-tests.sh build/python-venvs

echo "=== fuzzing (libFuzzer, ASan, UBSan)"
bash scripts/fuzz.sh "${RECUR_FUZZ_SECONDS:-30}"

echo "=== tests, default ISA ($(build/tests/print_isas | tail -n 1))"
ctest --test-dir build --output-on-failure

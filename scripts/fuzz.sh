#!/usr/bin/env bash
# Build the libFuzzer harnesses (tests/fuzz, clang with ASan and UBSan) and run each for
# SECONDS (default 30) from its committed seeds; new inputs go to a scratch corpus, a crash
# leaves its input in build-fuzz/crashes/ and fails the run.
#   scripts/fuzz.sh [SECONDS] [HARNESS...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
shift || true

CC=clang cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRECUR_FUZZ=ON \
      -DRECUR_BUILD_TESTS=OFF -DRECUR_BUILD_BENCHMARKS=OFF -DRECUR_MPI=OFF > /dev/null
cmake --build build-fuzz

# seeds of each harness: its committed corpus, and test files where they serve
declare -A seeds=(
  [fuzz_model_file]="tests/fuzz/corpus/model_file"
  [fuzz_model_spec]="tests/fuzz/corpus/model_spec"
  [fuzz_csv]="tests/fuzz/corpus/csv"
  [fuzz_tokenizer]="tests/fuzz/corpus/tokenizer"
  [fuzz_npy]="tests/data/npy"
  [fuzz_keras_config]="tests/fuzz/corpus/keras_config"
  [fuzz_keras_file]="tests/data/keras"
)
harnesses=("$@")
((${#harnesses[@]})) || harnesses=(fuzz_model_file fuzz_model_spec fuzz_csv fuzz_tokenizer
                                   fuzz_npy fuzz_keras_config fuzz_keras_file)
mkdir -p build-fuzz/crashes
rm -f build-fuzz/asan.*
status=0
for h in "${harnesses[@]}"; do
  [[ -x build-fuzz/tests/fuzz/$h ]] || { echo "=== $h: not built (no Keras support)"; continue; }
  scratch=build-fuzz/corpus/$h
  mkdir -p "$scratch"
  echo "=== $h, ${seconds} s"
  # stdout and stderr closed for the inputs' own messages; libFuzzer keeps its report
  if ! OMP_NUM_THREADS=1 ASAN_OPTIONS=detect_leaks=1:log_path=build-fuzz/asan UBSAN_OPTIONS=print_stacktrace=1 \
       LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp" \
       "build-fuzz/tests/fuzz/$h" -max_total_time="$seconds" -timeout=25 -close_fd_mask=3 -max_len=65536 \
       -rss_limit_mb=8192 -malloc_limit_mb=8192 -artifact_prefix="build-fuzz/crashes/$h-" "$scratch" ${seeds[$h]} \
       2> "build-fuzz/$h.log"; then
    status=1
    echo "$h: FAILED"; grep -E "ERROR|SUMMARY|Test unit written" "build-fuzz/$h.log" | head -20
    # sanitizer reports go to build-fuzz/asan.PID (the inputs' own output is closed)
    for f in build-fuzz/asan.*; do [[ -f $f ]] && head -n 30 "$f"; done
  fi
  grep -E "^#[0-9]+.*DONE" "build-fuzz/$h.log" | tail -n 1 || tail -n 3 "build-fuzz/$h.log"
done
exit $status

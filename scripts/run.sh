#!/usr/bin/env bash
# Set up (Debian 12, as root), build, and run the main job. Until the model and the command
# line exist, the main job is the benchmark of the kernels and of the recurrent layers on
# the seed's shapes.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build
echo "recur on $(build/tests/print_isas | tail -n 1): ISAs here: $(build/tests/print_isas | tr '\n' ' ')"
build/benchmarks/bench_kernels --benchmark_filter='peak_fma|step/M:32/N:2048|step/M:64/N:4096'
build/benchmarks/bench_rnn --benchmark_filter='/S1/|/S2/|lstm/M2/' --benchmark_min_time=0.2

#!/usr/bin/env bash
# Set up (Debian 12, as root), build, and run the main job: train an LSTM forecaster on the
# bundled yearly sunspot series (1700-2008; the last 20% of years held out) and compare its
# test MSE with the naive last-value and linear autoregressive baselines.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build
build/recur info
echo
build/recur fit --data data/sunspots_yearly.csv --task forecast --window 10 \
  --model lstm:32,dense:1 --epochs 100 --batch-size 16 --lr 0.005 --seed 1 \
  --save build/sunspots.recur --history build/sunspots_history.csv \
  --plot build/sunspots_loss.png --plot-forecast build/sunspots_forecast.png
build/recur predict --load build/sunspots.recur --data data/sunspots_yearly.csv \
  --out build/sunspots_predictions.csv
echo "Pictures: build/sunspots_loss.png, build/sunspots_forecast.png"
echo "More: examples/run.sh (MNIST row by row, names -> gender, stacked LSTM)"

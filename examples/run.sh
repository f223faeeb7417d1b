#!/usr/bin/env bash
# Worked examples on the bundled real data, each one `recur fit` command.
#   examples/run.sh [mnist|names|stacked|spam|spam-bidirectional|text|all]
#   (after scripts/run.sh or a build in build/)
set -euo pipefail
cd "$(dirname "$0")/.."
recur=build/recur
[[ -x $recur ]] || { echo "build first: bash scripts/run.sh" >&2; exit 1; }
mkdir -p build/data build/out
what=${1:-all}

if [[ $what == mnist || $what == all ]]; then
  echo "== MNIST row by row: LSTM(128) reads 28 rows of 28 pixels (6,000 training images)"
  for f in train test; do
    [[ -f build/data/mnist_$f.bin ]] || gunzip -c data/mnist_$f.bin.gz > build/data/mnist_$f.bin
  done
  time $recur fit --data build/data/mnist_train.bin --test build/data/mnist_test.bin \
    --format mnist --task classify --model lstm:128,dense:10:softmax \
    --epochs 25 --lr 0.002 --seed 2 --verbose 2 --save build/out/mnist.recur
fi

if [[ $what == names || $what == all ]]; then
  echo "== First name -> gender: GRU(64) over one-hot characters"
  time $recur fit --data data/names_train.csv --test data/names_test.csv --task classify \
    --label-column label --text-column name --model gru:64,dense:1:sigmoid \
    --epochs 20 --lr 0.003 --seed 1 --verbose 2 --save build/out/names.recur
fi

if [[ $what == stacked || $what == all ]]; then
  echo "== The seed's stacked LSTM, LSTM(50, return_sequences) -> LSTM(50) -> Dense(1): yearly sunspots"
  time $recur fit --data data/sunspots_yearly.csv --task forecast --window 10 \
    --model lstm:50:return_sequences,lstm:50,dense:1 \
    --epochs 100 --batch-size 16 --lr 0.003 --seed 2 --verbose 2 --save build/out/stacked.recur
fi

if [[ $what == spam || $what == all ]]; then
  echo "== Spam or ham: words through an Embedding (mask_zero) into an LSTM, 4,360 SpamAssassin e-mails"
  for f in train test; do
    [[ -f build/data/spam_$f.csv ]] || gunzip -c data/spam_$f.csv.gz > build/data/spam_$f.csv
  done
  time $recur fit --data build/data/spam_train.csv --test build/data/spam_test.csv \
    --task classify --label-column label --text-column text --tokens word --max-length 100 \
    --model embedding:32:mask_zero,lstm:32,dense:1:sigmoid \
    --epochs 5 --lr 0.002 --seed 1 --verbose 2 --save build/out/spam.recur
fi

if [[ $what == spam-bidirectional || $what == all ]]; then
  echo "== Spam or ham, stacked: two Bidirectional LSTMs with Dropout between the layers"
  for f in train test; do
    [[ -f build/data/spam_$f.csv ]] || gunzip -c data/spam_$f.csv.gz > build/data/spam_$f.csv
  done
  time $recur fit --data build/data/spam_train.csv --test build/data/spam_test.csv \
    --task classify --label-column label --text-column text --tokens word --max-length 100 \
    --model embedding:32:mask_zero,dropout:0.5,bidirectional:lstm:32:seq,dropout:0.5,bidirectional:lstm:16,dropout:0.5,dense:1:sigmoid \
    --epochs 4 --lr 0.002 --seed 1 --verbose 2 --save build/out/spam_bidirectional.recur
fi

if [[ $what == text || $what == all ]]; then
  echo "== Pride and Prejudice, character by character: LSTM(256) predicts the next character"
  [[ -f build/data/pride_and_prejudice.txt ]] ||
    gunzip -c data/pride_and_prejudice.txt.gz > build/data/pride_and_prejudice.txt
  time $recur fit --data build/data/pride_and_prejudice.txt --task next-token --tokens char \
    --window 100 --test-split 0.1 --model embedding:64,lstm:256:seq,dense:vocab:softmax \
    --epochs 20 --batch-size 64 --lr 0.003 --seed 1 --verbose 2 --save build/out/austen.recur
  echo "== a sample (temperature 0.7)"
  $recur generate --load build/out/austen.recur --prompt "It is a truth universally acknowledged" \
    --length 400 --temperature 0.7 --seed 1
fi


#!/usr/bin/env bash
# Drives the recur binary with good and bad input: every bad input must end with a non-zero
# status, a one-line message naming the file (line, column) or the flag, and no output file.
#   tests/test_cli.sh BUILD/recur DATA_DIR     (RECUR_RUNNER="qemu-aarch64 -L /" when cross-built)
set -u
bin=$1
data=$2
read -r -a runner <<< "${RECUR_RUNNER:-}"
run_recur() { "${runner[@]}" "$bin" "$@"; }
recur=run_recur
source "$(dirname "$0")/cli_helpers.sh"

# expect_ok NAME CMD...: exit 0
expect_ok() {
  local name=$1; shift
  if "$@" > "$work/out" 2> "$work/err"; then ok; else bad "$name: exit $? ($(tail -n 2 "$work/err"))"; fi
}

# expect_fail NAME NEEDLE CMD...: non-zero exit, one line on stderr containing NEEDLE,
# and no model or CSV written to $work/out.* by the failed command.
expect_fail() {
  local name=$1 needle=$2; shift 2
  rm -f "$work"/out.recur "$work"/out.csv
  "$@" > "$work/out" 2> "$work/err"
  local rc=$?
  local lines; lines=$(grep -c . "$work/err")
  if [[ $rc -eq 0 ]]; then bad "$name: exit 0, expected failure"
  elif [[ $lines -ne 1 ]]; then bad "$name: $lines lines on stderr: $(cat "$work/err")"
  elif ! grep -qF -- "$needle" "$work/err"; then bad "$name: message lacks '$needle': $(cat "$work/err")"
  elif compgen -G "$work/out.recur*" > /dev/null || compgen -G "$work/out.csv*" > /dev/null; then
    bad "$name: left an output file behind"
  else ok; fi
}

fit_sun=(fit --data "$data/sunspots_yearly.csv" --task forecast --window 10 --model lstm:8,dense:1
         --epochs 3 --verbose 0)

# ---- good input ----
expect_ok "fit forecast" "$recur" "${fit_sun[@]}" --save "$work/sun.recur" --history "$work/hist.csv"
[[ -f $work/sun.recur && $(wc -l < "$work/hist.csv") -eq 4 ]] && ok || bad "fit: model or 3-epoch history missing"
grep -q "naive last value 1107.29" "$work/out" && ok || bad "fit: no baseline report"
if "$recur" fit "${fit_sun[@]:1}" --save "$work/p.recur" --plot "$work/loss.png" --plot-forecast "$work/fc.png" > "$work/out" 2> "$work/err"; then
  # PNG signature, and a picture of plausible size
  for f in loss fc; do
    [[ $(head -c 8 "$work/$f.png" | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a && $(stat -c %s "$work/$f.png") -gt 5000 ]] && ok || bad "plot $f: not a PNG"
  done
elif grep -q "without cairo" "$work/err"; then ok; ok   # a build without cairo says so
else bad "plot: $(cat "$work/err")"; fi
expect_fail "plot classify as forecast" "not a forecaster" "$recur" fit --data "$data/names_train.csv" --test "$data/names_test.csv" --task classify --label-column label --text-column name --model gru:4,dense:1:sigmoid --epochs 1 --verbose 0 --save "$work/out.recur" --plot-forecast "$work/out.csv"
expect_ok "evaluate" "$recur" evaluate --load "$work/sun.recur" --data "$data/sunspots_yearly.csv"
grep -q "test MSE in original units" "$work/out" && ok || bad "evaluate: no MSE line"
expect_ok "predict" "$recur" predict --load "$work/sun.recur" --data "$data/sunspots_yearly.csv" --out "$work/pred.csv"
[[ $(wc -l < "$work/pred.csv") -eq 300 ]] && ok || bad "predict: expected 299 rows + header"
expect_ok "resume" "$recur" fit --data "$data/sunspots_yearly.csv" --load "$work/sun.recur" --epochs 1 --verbose 0 --save "$work/sun2.recur"
expect_ok "summary of a file" "$recur" summary --load "$work/sun.recur"
expect_ok "summary of a spec" "$recur" summary --model lstm:50,dense:1:sigmoid --input 100,1
grep -q "│ *10,400 │" "$work/out" && grep -q "Total params: 10,451 (40.82 KB)" "$work/out" && ok || bad "summary: Keras parameter counts"
expect_ok "info" "$recur" info
grep -qE '^mpi: (Open MPI|MPICH|not built)' "$work/out" && ok || bad "info: no mpi line: $(cat "$work/out")"
grep -q "active ISA" "$work/out" && ok || bad "info: no ISA line"
expect_ok "bench" "$recur" bench --batch 4 --steps 5 --units 8 --iters 2
expect_ok "classify names" "$recur" fit --data "$data/names_train.csv" --test "$data/names_test.csv" --task classify --label-column label --text-column name --model gru:8,dense:1:sigmoid --epochs 1 --verbose 0 --save "$work/names.recur"
grep -q "accuracy" "$work/out" && ok || bad "classify: no accuracy"
for c in fit evaluate predict summary info bench generate; do expect_ok "$c --help" "$recur" $c --help; done

# text: token ids through a vocabulary saved in the model
{
  echo 'label,text'
  for i in 1 2 3 4 5 6 7 8; do
    echo "1,\"win cash now, free prize $i!\""
    echo "0,\"meeting notes for monday; see the agenda $i\""
  done
} > "$work/texts.csv"
for tokens in word char; do
  expect_ok "text $tokens fit" "$recur" fit --data "$work/texts.csv" --task classify --label-column label --text-column text --tokens $tokens --padding post --model embedding:8:mask_zero,lstm:4,dense:1:sigmoid --epochs 2 --verbose 0 --save "$work/text_$tokens.recur"
  grep -q "Embedding" "$work/out" && ok || bad "text $tokens: no Embedding in the summary"
  expect_ok "text $tokens evaluate" "$recur" evaluate --load "$work/text_$tokens.recur" --data "$work/texts.csv"
  expect_ok "text $tokens predict" "$recur" predict --load "$work/text_$tokens.recur" --data "$work/texts.csv" --out "$work/text_$tokens.csv"
  [[ $(wc -l < "$work/text_$tokens.csv") -eq 17 ]] && ok || bad "text $tokens predict: expected 16 rows + header"
done
expect_ok "text gap" "$recur" fit --data "$work/texts.csv" --task classify --label-column label --text-column text --tokens word --max-tokens 10 --max-length 5 --model embedding:4:mask_zero,gap,dense:1:sigmoid --epochs 1 --verbose 0 --save "$work/gap.recur"
grep -q "(None, 5, 4)" "$work/out" && ok || bad "text gap: --max-length 5 not the input length"
expect_ok "summary embedding" "$recur" summary --model embedding:16:mask_zero,gru:8:seq,gmp,dense:2:softmax --input 20,1 --vocab-size 100
grep -q "1,600" "$work/out" && ok || bad "summary embedding: 100 x 16 parameters"
# MNIST records: 785 bytes each (label, 28×28 pixels)
gunzip -c "$data/mnist_test.bin.gz" | head -c $((785 * 40)) > "$work/mnist40.bin"
expect_ok "mnist" "$recur" fit --data "$work/mnist40.bin" --format mnist --task classify --model lstm:8,dense:10:softmax --epochs 1 --verbose 0 --save "$work/mnist.recur"
grep -q "training on 32 samples of shape (28, 28), testing on 8" "$work/out" && ok || bad "mnist: shape or split"
head -c 1000 "$work/mnist40.bin" > "$work/mnist_cut.bin"
expect_fail "mnist size" "a positive multiple of 785" "$recur" fit --data "$work/mnist_cut.bin" --format mnist --task classify --model lstm:8,dense:10:softmax --save "$work/out.recur"
{ printf '\x0c'; head -c 784 /dev/zero; } > "$work/mnist_label.bin"
expect_fail "mnist label" "record 0 has label 12" "$recur" fit --data "$work/mnist_label.bin" --format mnist --task classify --model lstm:8,dense:10:softmax --save "$work/out.recur"
expect_ok "masking spec" "$recur" fit --data "$data/sunspots_yearly.csv" --task forecast --window 10 --model masking:0,gru:4,dense:1 --epochs 1 --verbose 0 --save "$work/masking.recur"
# Bidirectional and dropout
expect_ok "bidirectional dropout" "$recur" fit --data "$work/texts.csv" --task classify --label-column label --text-column text --tokens word --model embedding:8:mask_zero,bidirectional:lstm:4:seq:dropout=0.2:recurrent_dropout=0.1,dropout:0.3,bidirectional:gru:3:merge=sum,dense:1:sigmoid --epochs 2 --verbose 0 --save "$work/bi.recur"
grep -q "bidirectional (Bidirectional)" "$work/out" && grep -q "bidirectional_1 (Bidirectional) *│ (None, 3) *│ *234 │" "$work/out" && ok || bad "bidirectional: summary"
expect_ok "bidirectional evaluate" "$recur" evaluate --load "$work/bi.recur" --data "$work/texts.csv"
# next-token text: fit, the test report, generation
gunzip -c "$data/pride_and_prejudice.txt.gz" | head -c 30000 > "$work/pp.txt"
expect_ok "next-token fit" "$recur" fit --data "$work/pp.txt" --task next-token --tokens char --window 20 --test-split 0.1 --model embedding:8,lstm:16:seq,dense:vocab:softmax --epochs 1 --verbose 0 --save "$work/pp.recur"
grep -q "bits/char" "$work/out" && grep -q "training on 1350 windows of 20 tokens" "$work/out" && ok || bad "next-token: report or windows: $(cat "$work/out")"
expect_ok "next-token evaluate" "$recur" evaluate --load "$work/pp.recur" --data "$work/pp.txt"
grep -q "bits/char" "$work/out" && ok || bad "next-token evaluate: no bits/char"
expect_ok "generate" "$recur" generate --load "$work/pp.recur" --prompt "Mr. Darcy" --length 40 --seed 2 --top-k 5
[[ $(head -c 9 "$work/out") == "Mr. Darcy" && $(wc -c < "$work/out") -eq 50 ]] && ok || bad "generate: prompt then 40 characters: $(cat "$work/out")"
"$recur" generate --load "$work/pp.recur" --prompt "Mr. Darcy" --length 40 --seed 2 --top-k 5 > "$work/again" 2> /dev/null
cmp -s "$work/out" "$work/again" && ok || bad "generate: the same seed gave another sample"
expect_ok "generate greedy" "$recur" generate --load "$work/pp.recur" --prompt "The" --length 5 --temperature 0
expect_ok "next-token words" "$recur" fit --data "$work/pp.txt" --task next-token --tokens word --window 8 --model embedding:8,gru:8:seq,dense:vocab:softmax --epochs 1 --verbose 0 --save "$work/ppw.recur"
expect_ok "generate words" "$recur" generate --load "$work/ppw.recur" --prompt "it is a truth" --length 6 --seed 1
expect_ok "stateful spec" "$recur" fit --data "$data/sunspots_yearly.csv" --task forecast --window 10 --test-split 0.1 --model lstm:4:stateful,dense:1 --batch-size 67 --no-shuffle --epochs 1 --verbose 0 --save "$work/stateful.recur"

# ---- bad input ----
printf 'year,v\n' > "$work/header_only.csv"
: > "$work/empty.csv"
printf 'year,v\n1,2\n3\n' > "$work/ragged.csv"
printf 'year,v\n1,2\n2,3\n3,abc\n' > "$work/text.csv"
printf 'year,v\n1,2\n2,nan\n3,4\n' > "$work/nan.csv"
printf 'year,v\n1,2\n2,3\n3,1e40\n' > "$work/huge.csv"
printf 'label,a,b\n0,1,2\n1,2,3\n7,3,4\n' > "$work/label.csv"
printf 'label,a,b\n0,1,2\n1,2,3\n0,3,4\n1,3,4\n0,3,4\n' > "$work/twoclass.csv"
out=(--save "$work/out.recur")
expect_fail "missing file" "cannot open" "$recur" fit --data "$work/nope.csv" --task forecast --model lstm:4,dense:1 "${out[@]}"
expect_fail "empty file" "empty" "$recur" fit --data "$work/empty.csv" --task forecast --model lstm:4,dense:1 "${out[@]}"
expect_fail "header only" "at least one data row" "$recur" fit --data "$work/header_only.csv" --task forecast --model lstm:4,dense:1 "${out[@]}"
expect_fail "ragged rows" "ragged.csv:3: 1 fields, but the header has 2" "$recur" fit --data "$work/ragged.csv" --task forecast --model lstm:4,dense:1 "${out[@]}"
expect_fail "non-numeric" "text.csv:4:2: 'abc'" "$recur" fit --data "$work/text.csv" --task forecast --model lstm:4,dense:1 "${out[@]}"
expect_fail "beyond float" "huge.csv:4:2: '1e40' in column 'v' is beyond the float range" "$recur" fit --data "$work/huge.csv" --task forecast --model lstm:4,dense:1 "${out[@]}"
expect_fail "NaN" "nan.csv:3:2: 'nan'" "$recur" fit --data "$work/nan.csv" --task forecast --model lstm:4,dense:1 "${out[@]}"
expect_fail "label out of range" "label 7 is not a class in 0..1" "$recur" fit --data "$work/twoclass.csv" --test "$work/label.csv" --task classify --model lstm:4,dense:1:sigmoid --timesteps 2 "${out[@]}"
expect_fail "window too long" "a window of 500" "$recur" fit --data "$data/sunspots_yearly.csv" --task forecast --window 500 --model lstm:4,dense:1 "${out[@]}"
cp "$work/sun.recur" "$work/sun_before.recur"
expect_fail "spec type" "--model: layer 2 'lsm:4': unknown layer" "$recur" fit --data "$data/sunspots_yearly.csv" --task forecast --model lstm:4:seq,lsm:4,dense:1 "${out[@]}"
expect_fail "spec units" "--model: layer 1 'lstm:x'" "$recur" fit --data "$data/sunspots_yearly.csv" --task forecast --model lstm:x,dense:1 "${out[@]}"
expect_fail "spec option" "unknown option 'sideways'" "$recur" fit --data "$data/sunspots_yearly.csv" --task forecast --model lstm:4:sideways,dense:1 "${out[@]}"
expect_fail "spec sequence" "needs a sequence" "$recur" fit --data "$data/sunspots_yearly.csv" --task forecast --model lstm:4,lstm:4,dense:1 "${out[@]}"
expect_fail "spec empty layer" "layer 2 is empty" "$recur" fit --data "$data/sunspots_yearly.csv" --task forecast --model lstm:4,,dense:1 "${out[@]}"
expect_fail "spec trailing comma" "layer 3 is empty" "$recur" fit --data "$data/sunspots_yearly.csv" --task forecast --model lstm:4,dense:1, "${out[@]}"
expect_fail "spec empty field" "an empty field" "$recur" fit --data "$data/sunspots_yearly.csv" --task forecast --model lstm:4::seq,dense:1 "${out[@]}"
expect_fail "spec repeated option" "'seq' is given twice" "$recur" fit --data "$data/sunspots_yearly.csv" --task forecast --model lstm:4:seq:seq,gru:2,dense:1 "${out[@]}"
expect_fail "spec two activations" "'relu' is a second activation" "$recur" fit --data "$data/sunspots_yearly.csv" --task forecast --model lstm:4:tanh:relu,dense:1 "${out[@]}"
expect_fail "spec dense option" "a dense layer takes one activation" "$recur" fit --data "$data/sunspots_yearly.csv" --task forecast --model lstm:4,dense:1:seq "${out[@]}"
expect_fail "spec reset_before on lstm" "reset_before is for gru" "$recur" fit --data "$data/sunspots_yearly.csv" --task forecast --model lstm:4:reset_before,dense:1 "${out[@]}"
expect_fail "embedding without tokens" "give --text-column with --tokens" "$recur" fit --data "$data/sunspots_yearly.csv" --task forecast --model embedding:8,lstm:4,dense:1 "${out[@]}"
expect_fail "embedding not first" "must be the first layer" "$recur" fit --data "$work/texts.csv" --task classify --label-column label --text-column text --tokens word --model masking,embedding:8,lstm:4,dense:1:sigmoid "${out[@]}"
expect_fail "pooling without time" "pooling over time needs a sequence" "$recur" fit --data "$data/sunspots_yearly.csv" --task forecast --model lstm:4,gap,dense:1 "${out[@]}"
expect_fail "tokens without text" "--tokens, --padding and --truncating read a --text-column" "$recur" fit --data "$data/sunspots_yearly.csv" --task forecast --tokens word --model lstm:4,dense:1 "${out[@]}"
expect_fail "bad padding" "--padding must be pre or post, not 'middle'" "$recur" fit --data "$work/texts.csv" --task classify --label-column label --text-column text --tokens word --padding middle --model embedding:8,lstm:4,dense:1:sigmoid "${out[@]}"
printf 'label,text\n1,"some words"\n0,\n' > "$work/empty_text.csv"
expect_fail "empty text" "empty_text.csv:3:2: the text is empty" "$recur" fit --data "$work/empty_text.csv" --task classify --label-column label --text-column text --tokens word --test-split 0 --model embedding:8,lstm:4,dense:1:sigmoid "${out[@]}"
expect_fail "bad number" "--epochs: 'x' is not a whole number" "$recur" "${fit_sun[@]}" --epochs x "${out[@]}"
expect_fail "unknown flag" "unknown flag --bogus" "$recur" "${fit_sun[@]}" --bogus 1 "${out[@]}"
expect_fail "flag without value" "--save needs a value" "$recur" "${fit_sun[@]}" --save
expect_fail "bad task" "--task must be" "$recur" fit --data "$data/sunspots_yearly.csv" --task guess --model lstm:4,dense:1 "${out[@]}"
head -c 100 "$work/sun.recur" > "$work/truncated.recur"
expect_fail "truncated model" "truncated.recur" "$recur" evaluate --load "$work/truncated.recur" --data "$data/sunspots_yearly.csv"
printf 'not a model at all, just text.......' > "$work/foreign.recur"
expect_fail "foreign model" "bad magic" "$recur" predict --load "$work/foreign.recur" --data "$data/sunspots_yearly.csv" --out "$work/out.csv"
cp "$work/sun.recur" "$work/flipped.recur"
printf '\xff' | dd of="$work/flipped.recur" bs=1 seek=200 conv=notrunc 2> /dev/null
expect_fail "corrupt model" "checksum" "$recur" evaluate --load "$work/flipped.recur" --data "$data/sunspots_yearly.csv"
expect_fail "predict into a missing dir" "cannot create" "$recur" predict --load "$work/sun.recur" --data "$data/sunspots_yearly.csv" --out "$work/no/such/dir.csv"
expect_fail "unknown command" "unknown command 'fitt'" "$recur" fitt
expect_fail "spec dropout rate" "a rate must be a number in [0, 1)" "$recur" fit --data "$data/sunspots_yearly.csv" --task forecast --model lstm:4:dropout=1.5,dense:1 "${out[@]}"
expect_fail "dropout layer rate" "dropout takes one rate in [0, 1)" "$recur" fit --data "$data/sunspots_yearly.csv" --task forecast --model lstm:4,dropout:-1,dense:1 "${out[@]}"
expect_fail "bidirectional around dense" "expected bidirectional:lstm|gru|rnn" "$recur" fit --data "$data/sunspots_yearly.csv" --task forecast --model bidirectional:dense:4,dense:1 "${out[@]}"
expect_fail "bidirectional backwards" "goes backwards already" "$recur" fit --data "$data/sunspots_yearly.csv" --task forecast --model bidirectional:gru:4:go_backwards,dense:1 "${out[@]}"
expect_fail "bidirectional merge" "merge= takes concat" "$recur" fit --data "$data/sunspots_yearly.csv" --task forecast --model bidirectional:gru:4:merge=max,dense:1 "${out[@]}"
expect_fail "merge on a plain layer" "unknown option 'merge=sum'" "$recur" fit --data "$data/sunspots_yearly.csv" --task forecast --model gru:4:merge=sum,dense:1 "${out[@]}"
expect_fail "stateful batch" "do not divide into batches of 32" "$recur" fit --data "$data/sunspots_yearly.csv" --task forecast --window 10 --model lstm:4:stateful,dense:1 --epochs 1 --verbose 0 "${out[@]}"
expect_fail "next-token needs a sequence" "predicts the token after every step" "$recur" fit --data "$work/pp.txt" --task next-token --tokens char --model embedding:8,lstm:16,dense:vocab:softmax "${out[@]}"
expect_fail "next-token without tokens" "--task next-token reads a plain text file with --tokens" "$recur" fit --data "$work/pp.txt" --task next-token --model lstm:4:seq,dense:4 "${out[@]}"
expect_fail "next-token window" "too few for windows of 30000" "$recur" fit --data "$work/pp.txt" --task next-token --tokens char --window 30000 --model embedding:8,lstm:16:seq,dense:vocab:softmax "${out[@]}"
printf 'a\0b\n' > "$work/nul.txt"
expect_fail "next-token binary" "NUL byte" "$recur" fit --data "$work/nul.txt" --task next-token --tokens char --model embedding:8,lstm:16:seq,dense:vocab:softmax "${out[@]}"
expect_fail "predict next-token" "use recur generate" "$recur" predict --load "$work/pp.recur" --data "$work/pp.txt" --out "$work/out.csv"
expect_fail "generate length 0" "--length must be at least 1" "$recur" generate --load "$work/pp.recur" --prompt "The" --length 0
expect_fail "generate unknown char" "character '~' is not in the model's vocabulary" "$recur" generate --load "$work/pp.recur" --prompt "a~b" --length 3
expect_fail "generate unknown word" "word 'zyzzyva' is not in the model's vocabulary" "$recur" generate --load "$work/ppw.recur" --prompt "it is zyzzyva" --length 3
expect_fail "generate with a classifier" "is not a next-token model" "$recur" generate --load "$work/names.recur" --prompt "ab" --length 3
expect_fail "generate empty prompt" "no token to start from" "$recur" generate --load "$work/ppw.recur" --prompt "!!" --length 3
# Keras files: import, export, summary, and --load by content
keras_data=$(dirname "$0")/data/keras
if "$recur" summary --load "$keras_data/gru_forms.keras" > "$work/out" 2> "$work/err"; then
  for f in "$keras_data"/*.keras; do   # Keras's own summary() of each (tools/gen_keras_summaries.py)
    "$recur" summary --load "$f" | cmp -s - "${f%.keras}.summary.txt" && ok || bad "summary of $f differs from Keras's"
  done
  expect_ok "import" "$recur" import "$keras_data/stacked_lstm.keras" --save "$work/imported.recur"
  "$recur" summary --load "$work/imported.recur" | cmp -s - "$keras_data/stacked_lstm.summary.txt" && ok || bad "import: the summary changed"
  expect_ok "import legacy h5" "$recur" import "$keras_data/text_bidirectional_k2.h5" --save "$work/k2.recur"
  expect_ok "export" "$recur" export "$work/sun.recur" --out "$work/sun.keras"
  grep -q "data settings" "$work/out" && ok || bad "export: no note on the data settings"
  [[ $(head -c 2 "$work/sun.keras") == PK ]] && ok || bad "export: not a zip"
  expect_ok "export summary" "$recur" summary --load "$work/sun.keras"
  grep -q "lstm (LSTM) *│ (None, 8)" "$work/out" && ok || bad "export: summary of the .keras"
  cp "$work/sun.keras" "$work/disguised.recur"   # recognised by content, not by name
  expect_ok "import by content" "$recur" import "$work/disguised.recur" --save "$work/again.recur"
  expect_fail "evaluate a Keras model on CSV" "carries no data settings" "$recur" evaluate --load "$work/sun.keras" --data "$data/sunspots_yearly.csv"
  expect_fail "import text" "is not a Keras file" "$recur" import "$work/texts.csv" --save "$work/out.recur"
  expect_fail "import weights file" "recur_model_load_keras_weights" "$recur" import "$keras_data/gru_forms.weights.h5" --save "$work/out.recur"
  expect_fail "import no save" "--save MODEL.recur is required" "$recur" import "$keras_data/gru_forms.keras"
  expect_fail "import no file" "the first argument is the model file" "$recur" import --save "$work/out.recur"
  expect_fail "export into a missing dir" "cannot create" "$recur" export "$work/sun.recur" --out "$work/no/such/m.keras"
  expect_fail "export a Keras file's stranger" "bad magic" "$recur" export "$work/foreign.recur" --out "$work/out.csv"
else
  grep -q "built without Keras file support" "$work/err" && ok || bad "keras: $(cat "$work/err")"
fi
# NumPy input: --x/--y for fit, evaluate and predict (.npy and CSV out), and bad arrays.
writenpy "$work/x.npy" "<f4" "60, 8, 2" 960
writenpy "$work/x64.npy" "<f8" "60, 8, 2" 960
writenpy "$work/y.npy" "<f4" "60, 1" 60
writenpy "$work/y3.npy" "<f4" "60, 3" 180
writenpy "$work/ids.npy" "<i4" "60, 8" 480
writenpy "$work/xf.npy" "<f4" "60, 8, 2" 960 fortran
writenpy "$work/xc.npy" "<c8" "60, 8, 2" 960
writenpy "$work/y59.npy" "<f4" "59, 1" 59
head -c 3000 "$work/x.npy" > "$work/xcut.npy"
np_fit=("$recur" fit --model gru:6,dense:1 --epochs 2 --verbose 0 --seed 4)
expect_ok "fit npy" "${np_fit[@]}" --x "$work/x.npy" --y "$work/y.npy" --save "$work/np.recur"
grep -q "^test: 12 samples, loss" "$work/out" && ok || bad "fit npy report: $(cat "$work/out")"
expect_ok "fit npy float64" "${np_fit[@]}" --x "$work/x64.npy" --y "$work/y.npy" --save "$work/np64.recur"
cmp -s "$work/np.recur" "$work/np64.recur" && ok || bad "float64 x trained another model"
expect_ok "fit npy token ids" "$recur" fit --x "$work/ids.npy" --y "$work/y.npy" --vocab-size 7 \
  --model embedding:4,lstm:4,dense:1 --epochs 1 --verbose 0 --save "$work/npid.recur"
expect_ok "evaluate npy" "$recur" evaluate --load "$work/np.recur" --x "$work/x.npy" --y "$work/y.npy"
grep -q "^evaluate: 60 samples, loss" "$work/out" && ok || bad "evaluate npy: $(cat "$work/out")"
expect_ok "predict npy" "$recur" predict --load "$work/np.recur" --x "$work/x.npy" --out "$work/p.npy"
[[ $(stat -c %s "$work/p.npy") -eq $((128 + 60 * 4)) ]] && ok || bad "p.npy size"
expect_ok "predict csv" "$recur" predict --load "$work/np.recur" --x "$work/x.npy" --out "$work/p.csv"
[[ $(wc -l < "$work/p.csv") -eq 61 ]] && ok || bad "p.csv rows"
expect_fail "npy fortran" "Fortran order" "${np_fit[@]}" --x "$work/xf.npy" --y "$work/y.npy" --save "$work/out.recur"
expect_fail "npy complex" "is not float32" "${np_fit[@]}" --x "$work/xc.npy" --y "$work/y.npy" --save "$work/out.recur"
expect_fail "npy cut" "xcut.npy: 3000 bytes, but its header" "${np_fit[@]}" --x "$work/xcut.npy" --y "$work/y.npy" --save "$work/out.recur"
expect_fail "npy rows" "one row per sample" "${np_fit[@]}" --x "$work/x.npy" --y "$work/y59.npy" --save "$work/out.recur"
expect_fail "npy width" "3 values per sample" "${np_fit[@]}" --x "$work/x.npy" --y "$work/y3.npy" --save "$work/out.recur"
expect_fail "npy no y" "--x needs --y" "${np_fit[@]}" --x "$work/x.npy" --save "$work/out.recur"
expect_fail "npy and csv" "give --data FILE, or --x" "${np_fit[@]}" --x "$work/x.npy" --y "$work/y.npy" --data "$data/sunspots_yearly.csv" --save "$work/out.recur"
expect_fail "npy predict out" "cannot create" "$recur" predict --load "$work/np.recur" --x "$work/x.npy" --out "$work/no/such/p.npy"
# samples of another shape than the model's: refused, never read past or misread
writenpy "$work/x5.npy" "<f4" "60, 5, 2" 600
writenpy "$work/x8f3.npy" "<f4" "60, 8, 3" 1440
expect_fail "npy length" "samples of shape (5, 2), but the model takes (8, 2)" "$recur" predict --load "$work/np.recur" --x "$work/x5.npy" --out "$work/p.npy"
expect_fail "npy features" "samples of shape (8, 3), but the model takes (8, 2)" "$recur" evaluate --load "$work/np.recur" --x "$work/x8f3.npy" --y "$work/y.npy"
expect_fail "npy initial epoch" "leaves nothing to train" "${np_fit[@]}" --x "$work/x.npy" --y "$work/y.npy" --initial-epoch 2 --save "$work/out.recur"

# --checkpoint every 2 epochs and the last; resuming the epoch-2 one gives the 3-epoch model
ck_fit=("$recur" fit --x "$work/x.npy" --y "$work/y.npy" --model gru:6,dense:1 --verbose 0 --seed 4)
expect_ok "checkpoint" "${ck_fit[@]}" --epochs 3 --checkpoint "$work/ck.recur" --checkpoint-every 2 --save "$work/ck3.recur"
[[ $(grep -c '^checkpoint: ' "$work/err") -eq 2 ]] && ok || bad "checkpoints: $(cat "$work/err")"
cmp -s "$work/ck.recur" "$work/ck3.recur" && ok || bad "the last checkpoint is not the final model"
expect_fail "checkpoint into a missing dir" "--checkpoint: recur_model_save" "${ck_fit[@]}" --epochs 3 --checkpoint "$work/no/such/ck.recur" --save "$work/out.recur"
expect_ok "checkpoint 2" "${ck_fit[@]}" --epochs 2 --save "$work/ck2.recur"
expect_ok "resume" "$recur" fit --x "$work/x.npy" --y "$work/y.npy" --load "$work/ck2.recur" --epochs 3 --initial-epoch 2 --verbose 0 --seed 4 --save "$work/resumed.recur"
cmp -s "$work/resumed.recur" "$work/ck3.recur" && ok || bad "resumed model differs from the uninterrupted one"

# the model file from the first fit is untouched by every failure above
cmp -s "$work/sun.recur" "$work/sun_before.recur" && ok || bad "model changed"

echo "cli: $passed passed, $failed failed"
[[ $failed -eq 0 ]]

#!/usr/bin/env bash
# recur fit under mpirun: the same model as one process, only rank 0 writing, and every
# failure (a bad flag on one rank, ranks with other models, a rank killed) ending the job
# with a message and a non-zero status, never a hang.
#   tests/test_cli_mpi.sh BUILD/recur DATA_DIR MPIEXEC
set -u
bin=$(realpath "$1")
data=$(realpath "$2")
mpiexec=$3
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
source "$(dirname "$0")/cli_helpers.sh"
mpi() { timeout 120 "$mpiexec" --oversubscribe "$@"; }

fit=(fit --data "$data/co2_monthly.csv" --task forecast --model gru:12:seq,lstm:8,dense:1
     --epochs 3 --batch-size 32 --no-shuffle --seed 3 --threads 1 --verbose 2)

# One process, then 2 and 3 ranks (3: uneven shares of 32): the same predictions.
"$bin" "${fit[@]}" --save "$work/one.recur" > /dev/null 2>&1 || bad "one process: exit $?"
"$bin" predict --load "$work/one.recur" --data "$data/co2_monthly.csv" --out "$work/one.csv" \
  > /dev/null 2>&1 || bad "predict one"
for np in 2 3; do
  mkdir -p "$work/np$np"
  if ! (cd "$work/np$np" && mpi -np "$np" "$bin" "${fit[@]}" --save m.recur \
        --history h.csv > out 2> err); then
    bad "np $np: exit $? ($(tail -n 3 "$work/np$np/err"))"; continue
  fi
  # only rank 0 writes: one summary, one "saved", one history file and no temporary left
  [[ $(grep -c '^saved ' "$work/np$np/out") -eq 1 ]] || bad "np $np: not one 'saved' line"
  [[ $(grep -c '^Epoch 3/3' "$work/np$np/err") -eq 1 ]] || bad "np $np: not one progress line"
  [[ $(ls "$work/np$np" | sort | tr '\n' ' ') == "err h.csv m.recur out " ]] ||
    bad "np $np: files $(ls "$work/np$np")"
  "$bin" predict --load "$work/np$np/m.recur" --data "$data/co2_monthly.csv" \
    --out "$work/np$np.csv" > /dev/null 2>&1 || bad "predict np $np"
  # within 1e-5 of the largest prediction: only the order of the sums differs
  if awk -F, 'NR == FNR { a[FNR] = $NF; next }
      FNR > 1 { d = $NF - a[FNR]; d = d < 0 ? -d : d; if (d > worst) worst = d;
                v = a[FNR] < 0 ? -a[FNR] : a[FNR]; if (v > big) big = v }
      END { exit !(worst <= 1e-5 * big) }' "$work/one.csv" "$work/np$np.csv"; then ok
  else bad "np $np: predictions differ from one process's"; fi
done

# NumPy input under mpirun, shuffled: 3 epochs at once, and 2 epochs then resumed from the
# checkpoint with --initial-epoch 2, give the same model file, bit for bit.
writenpy "$work/x.npy" "<f4" "90, 7, 3" 1890
writenpy "$work/y.npy" "<f4" "90, 1" 90
np_fit=("$bin" fit --x "$work/x.npy" --y "$work/y.npy" --verbose 0 --seed 2 --batch-size 16
        --threads 1)
(cd "$work" && mpi -np 2 "${np_fit[@]}" --model lstm:6,dense:1 --epochs 3 --save full.recur \
   > /dev/null 2> full.err) || bad "npy np 2: $(cat "$work/full.err")"
(cd "$work" && mpi -np 2 "${np_fit[@]}" --model lstm:6,dense:1 --epochs 2 --save part.recur \
   --checkpoint ck.recur > /dev/null 2> ck.err) || bad "npy checkpoint: $(cat "$work/ck.err")"
# rank 0 alone writes it: one line per epoch
[[ $(grep -c '^checkpoint: ' "$work/ck.err") -eq 2 ]] && ok || bad "checkpoint lines: $(cat "$work/ck.err")"
(cd "$work" && mpi -np 2 "${np_fit[@]}" --epochs 3 --load ck.recur --initial-epoch 2 \
   --save resumed.recur > /dev/null 2> resumed.err) || bad "npy resume: $(cat "$work/resumed.err")"
cmp -s "$work/full.recur" "$work/resumed.recur" && ok ||
  bad "resumed under mpirun differs from the uninterrupted run"

# expect_job_fails NAME NEEDLE MPIRUN-ARGS...: non-zero status, NEEDLE in rank 0's message,
# printed once.
expect_job_fails() {
  local name=$1 needle=$2; shift 2
  (cd "$work" && mpi "$@" > out 2> err)
  local rc=$?
  if [[ $rc -eq 0 ]]; then bad "$name: exit 0"
  elif [[ $rc -eq 124 ]]; then bad "$name: hung (killed by timeout)"
  elif [[ $(grep -cF -- "$needle" "$work/err") -ne 1 ]]; then
    bad "$name: '$needle' not once in: $(cat "$work/err")"
  else ok; fi
}
one=("$bin" "${fit[@]}" --save bad.recur)
expect_job_fails "a bad flag on rank 1" "recur: process 1 of 2: unknown flag --bogus" \
  -np 1 "${one[@]}" : -np 1 "${one[@]}" --bogus 1
expect_job_fails "another model on rank 1" "have another model" \
  -np 1 "${one[@]}" : -np 1 "${one[@]}" --model gru:13:seq,lstm:8,dense:1
expect_job_fails "other data on rank 2" "other data shapes" \
  -np 2 "${one[@]}" : -np 1 "${one[@]}" --test-split 0.3
[[ -e "$work/bad.recur" ]] && bad "a failed job saved a model"

# A rank killed during training ends the job (mpirun reports it), never a hang.
(cd "$work" && mpi -np 2 "$bin" "${fit[@]}" --epochs 100000 --save killed.recur \
   > kill.out 2> kill.err; echo $? > kill.rc) &
for _ in $(seq 100); do
  pids=$(pgrep -f -- "--save killed.recur" | tr '\n' ' ')
  [[ $(wc -w <<< "$pids") -ge 3 ]] && break   # mpirun and its two ranks
  sleep 0.1
done
sleep 1
kill -9 "$(pgrep -f -n -- "--save killed.recur")"
wait
rc=$(cat "$work/kill.rc")
if [[ $rc -eq 0 || $rc -eq 124 ]]; then bad "killed rank: job status $rc"
elif ! grep -q 'signal 9' "$work/kill.err"; then bad "killed rank: no report: $(cat "$work/kill.err")"
else ok; fi

echo "test_cli_mpi: $passed passed, $failed failed"
[[ $failed -eq 0 ]]

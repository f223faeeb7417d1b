#!/usr/bin/env bash
# recur fit --x on an .npy larger than the memory it may use: the file is mapped and
# streams through the page cache, never copied into the process's own memory.
#   tests/test_npy_stream.sh BUILD/recur
# Runs the fit inside a memory cgroup of LIMIT_MB (v1 or v2, when this machine lets root make
# one): reading the file into memory would be killed there. Either way it samples the
# process's anonymous memory (RssAnon), which must stay far below the file's size.
set -u
bin=$(realpath "$1")
limit_mb=160
work=$(mktemp -d "${TMPDIR:-/tmp}/recur-npy-stream.XXXXXX")
cg=""
cleanup() { [[ -n "$cg" ]] && rmdir "$cg" 2> /dev/null; rm -rf "$work"; }
trap cleanup EXIT

# x [2500, 500, 100] float32 = 500 MB of zeros after numpy's 128-byte header, y [2500, 1]
npy() {   # npy FILE SHAPE-TEXT BYTES
  local dict="{'descr': '<f4', 'fortran_order': False, 'shape': ($2), }"
  local len=$((128 - 10))
  { printf '\x93NUMPY\x01\x00'; printf "\\x$(printf %02x $((len % 256)))\\x$(printf %02x $((len / 256)))"
    printf '%-*s\n' $((len - 1)) "$dict"; head -c "$3" /dev/zero; } > "$1"
}
npy "$work/x.npy" "2500, 500, 100" $((2500 * 500 * 100 * 4))
npy "$work/y.npy" "2500, 1" $((2500 * 4))
file_mb=$(( $(stat -c %s "$work/x.npy") / 1048576 ))

if [[ -w /sys/fs/cgroup/memory ]]; then                  # cgroup v1
  cg=/sys/fs/cgroup/memory/recur-npy-$$
  mkdir "$cg" && echo $((limit_mb * 1048576)) > "$cg/memory.limit_in_bytes" || cg=""
elif grep -qw memory /sys/fs/cgroup/cgroup.controllers 2> /dev/null; then   # v2
  cg=/sys/fs/cgroup/recur-npy-$$
  mkdir "$cg" && echo $((limit_mb * 1048576)) > "$cg/memory.max" || cg=""
fi
echo "x.npy: $file_mb MB; memory cgroup: ${cg:-none (RssAnon only)}, limit $limit_mb MB"

sh -c '[ -n "$1" ] && echo $$ > "$1/cgroup.procs"; shift; exec "$@"' sh "$cg" \
  "$bin" fit --x "$work/x.npy" --y "$work/y.npy" --model lstm:4,dense:1 --epochs 1 \
  --batch-size 64 --threads 2 --verbose 0 --save "$work/m.recur" > "$work/out" 2>&1 &
pid=$!
peak=0
while kill -0 "$pid" 2> /dev/null; do
  kb=$(awk '/^RssAnon:/ { print $2 }' "/proc/$pid/status" 2> /dev/null)
  [[ -n "$kb" && "$kb" -gt "$peak" ]] && peak=$kb
  sleep 0.05
done
wait "$pid"
rc=$?
echo "fit: exit $rc, peak RssAnon $((peak / 1024)) MB"
cat "$work/out" | grep -E '^test|^saved|recur:' || true
[[ $rc -eq 0 ]] || { echo "FAIL: fit did not finish under the limit"; exit 1; }
[[ $((peak / 1024)) -lt $limit_mb ]] || { echo "FAIL: anonymous memory reached $((peak / 1024)) MB"; exit 1; }
echo "test_npy_stream: passed"

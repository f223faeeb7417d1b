# Sourced by the command-line tests: a scratch directory, the pass/fail tally, and .npy
# files in numpy's layout without numpy.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }

# writenpy FILE DESCR SHAPE COUNT [fortran]: numpy's layout, values sin(i) (python3's struct)
writenpy() {
  python3 - "$@" <<'PY'
import math, struct, sys
path, descr, shape, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
fortran = len(sys.argv) > 5
head = "{'descr': '%s', 'fortran_order': %s, 'shape': (%s), }" % (descr, fortran, shape)
head += " " * (117 - len(head)) + "\n"
fmt = {"<f4": "<%df", "<f8": "<%dd", "<i4": "<%di", "<c8": "<%df"}[descr]
n = count * (2 if descr == "<c8" else 1)
vals = [math.sin(i) for i in range(n)] if descr != "<i4" else [i % 7 for i in range(n)]
with open(path, "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", 118) + head.encode())
    f.write(struct.pack(fmt % n, *vals))
PY
}

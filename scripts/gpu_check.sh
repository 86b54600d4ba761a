#!/usr/bin/env bash
# The GPU check for issue 6, in one command (a GPU session runs it through the device tool):
#
#     bash scripts/gpu_check.sh            # everything: ~3 minutes expected, 7 at most
#     QUICK=1 bash scripts/gpu_check.sh    # benchmark with --quick
#
# Knobs (environment): XDIST_N (pytest-xdist workers, default 8), MAXFAIL (default 40),
# PYTEST_EXTRA (more pytest options), and each step's time limit in seconds: T_TESTS (200),
# T_NCCL (120), T_BENCH (120), T_EX (45, each example). On an H200 with 16 cores, 2026-12-04:
# XDIST_N=16 T_TESTS=120 T_NCCL=60 T_BENCH=100 T_EX=40 ran every step in 225 s (tests 42 s).
#
# Installs nothing and needs no venv: it runs the machine's python3 (which holds CuPy, PyTorch,
# numpy and pytest) with PYTHONPATH=. so `import tensorgrad` is this checkout. Each step has
# its own time limit; a failing step is reported and the next one still runs. Logs go to $OUT
# when it is set (the device tool brings them back), else to /tmp/gpu_logs. Exit status: the
# number of failed steps.
set -u
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
LOGS=${OUT:-/tmp/gpu_logs}
mkdir -p "$LOGS"
export PYTHONPATH=.${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1
FAILED=0

step() {  # step NAME SECONDS COMMAND...: run it with a time limit, log to $LOGS/NAME.log
    local name=$1 limit=$2
    shift 2
    echo
    echo "=== $name (limit ${limit}s): $*"
    local start=$SECONDS
    timeout -k 10 "$limit" "$@" 2>&1 | tee "$LOGS/$name.log"
    local rc=${PIPESTATUS[0]}
    echo "=== $name: exit $rc after $((SECONDS - start))s"
    [ "$rc" -eq 0 ] || FAILED=$((FAILED + 1))
    echo "$name rc=$rc $((SECONDS - start))s" >>"$LOGS/summary.txt"
}

: >"$LOGS/summary.txt"
step env 60 bash -c "nvidia-smi; $PY -c 'import sys, numpy, cupy; \
print(sys.version); print(\"numpy\", numpy.__version__, \"cupy\", cupy.__version__, \
\"cuda runtime\", cupy.cuda.runtime.runtimeGetVersion(), \"devices\", \
cupy.cuda.runtime.getDeviceCount())'; \
$PY -c 'import torch; print(\"torch\", torch.__version__, torch.cuda.is_available())' || true"
# pytest-xdist (there on the GPU machines) spreads the ~1,700 tests, and CuPy's first-use kernel
# compiles (CPU-bound NVRTC, cached on disk and shared), over 8 processes
XDIST=""
"$PY" -c "import xdist" 2>/dev/null && XDIST="-n ${XDIST_N:-8}"
step tests ${T_TESTS:-200} "$PY" -m pytest -m cuda tests/cuda tests/test_cuda.py -q $XDIST --maxfail=${MAXFAIL:-40} ${PYTEST_EXTRA:-} \
    -p no:cacheprovider -p no:warnings --durations=15
# the NCCL DDP test needs mpi4py + mpiexec in $PY (it skips, saying so, where they are missing)
step nccl ${T_NCCL:-120} "$PY" -m pytest -m cuda tests/distributed -q -rs -p no:cacheprovider -p no:warnings
if [ -n "${QUICK:-}" ]; then
    step bench ${T_BENCH:-120} "$PY" benchmarks/gpu.py --quick
else
    step bench 120 "$PY" benchmarks/gpu.py
fi
step digits ${T_EX:-45} "$PY" examples/digits_cnn.py --device cuda --tiny --no-progress --out /tmp/gpu_check_digits
step char_gpt ${T_EX:-45} "$PY" examples/char_gpt.py --device cuda --tiny

echo
echo "=== summary (failed steps: $FAILED)"
cat "$LOGS/summary.txt"
exit "$FAILED"

#!/usr/bin/env bash
# The GPU check (issue 9), for a machine with an NVIDIA GPU and CuPy; under 5 minutes:
#   (a) the GPU (nvidia-smi) and the versions of NumPy, CuPy and torch;
#   (b) the device tests on the real CuPy backend: RETROGRAD_TEST_DEVICE=cupy makes the
#       fixture fake_cuda (tests/conftest.py) use it instead of the stand-in;
#   (c) bench/bench_gpu.py, retrograd's training steps on the GPU against torch's.
# Usage, from anywhere: bash bench/gpu_check.sh [DIR]   (DIR, if given, receives the full test
# log tests.log and the benchmark's bench_gpu.json). PYTHON picks the interpreter (default:
# .venv/bin/python where it exists, else python3). Exits non-zero if a part failed.
set -u
cd "$(dirname "$0")/.."
if [ -z "${PYTHON:-}" ]; then
    PYTHON=python3
    [ -x .venv/bin/python ] && PYTHON=.venv/bin/python
fi
DIR=${1:-}
[ -n "$DIR" ] && mkdir -p "$DIR"
failed=""
export PYTHONUNBUFFERED=1 HYPOTHESIS_PROFILE=ci

echo "== (a) the machine"
timeout 20 nvidia-smi || echo "nvidia-smi: not available"
timeout 60 "$PYTHON" - <<'EOF' || failed="$failed versions"
import platform

import numpy
import torch

import retrograd as rg

print(f"python {platform.python_version()}, numpy {numpy.__version__}, torch {torch.__version__} "
      f"(CUDA {torch.version.cuda}, available: {torch.cuda.is_available()})")
try:
    import cupy
    print(f"cupy {cupy.__version__}, CUDA runtime {cupy.cuda.runtime.runtimeGetVersion()}, "
          f"driver {cupy.cuda.runtime.driverGetVersion()}")
except Exception as error:  # ImportError, or CUDA's error when there is no driver
    print(f"cupy: not usable ({error})")
print("rg.cuda.is_available():", rg.cuda.is_available())
if rg.cuda.is_available():
    print("rg.cuda.get_device_name():", rg.cuda.get_device_name())
EOF

echo "== (b) the device tests on the real CuPy backend"
tests=()
for path in tests/ops/test_table.py tests/nn/test_device.py tests/optim/test_device.py \
            tests/test_device_training.py; do
    [ -e "$path" ] && tests+=("$path")
done
# workers, where pytest-xdist is installed: CuPy compiles each kernel on its first use
workers=""
"$PYTHON" -c "import xdist" 2>/dev/null && workers="-n $(( $(nproc) < 8 ? $(nproc) : 8 ))"
log=${DIR:+$DIR/tests.log}
if [ ${#tests[@]} -eq 0 ]; then
    echo "no device test file found"; failed="$failed tests"
else
    # of test_table.py only the on_device tests; every test of the other files
    RETROGRAD_TEST_DEVICE=cupy timeout 170 "$PYTHON" -m pytest -p no:cacheprovider $workers \
        --tb=short -k "on_device or not test_table" "${tests[@]}" > "${log:-/dev/stdout}" 2>&1
    code=$?
    # with DIR: one line per failure and the summary here, the tracebacks in the log
    [ -n "$log" ] && grep -E "^(FAILED|ERROR) | in [0-9.]+s( |$)" "$log" | tail -n 60
    [ $code -eq 124 ] && echo "the tests ran past their 170 s"
    [ $code -ne 0 ] && failed="$failed tests"
fi

echo "== (c) bench/bench_gpu.py"
timeout 90 "$PYTHON" bench/bench_gpu.py ${DIR:+--json "$DIR/bench_gpu.json"} \
    || failed="$failed benchmark"

if [ -n "$failed" ]; then
    echo "gpu_check: failed:$failed"
    exit 1
fi
echo "gpu_check: all parts passed"

#!/usr/bin/env bash
# The GPU run, prepared on the CPU: full-size SAM3 (random weights, Sam3Config()) in bfloat16 with SDPA attention.
# Within ~10 minutes on one H200 it measures cold calls, a cached follow-up, 1/4/16 phrases batched, the reference
# way (one full call per phrase), with and without torch.compile; peak memory; post-processing at 1 MP; and video
# frames per second for both trackers. Writes bench/results/full-cuda.{json,md,png}.
#
#   bash bench/gpu.sh                              # on the GPU machine (python with torch + transformers)
#   SIZE=tiny DEVICE=cpu NAME=gpu-smoke bash bench/gpu.sh   # the same script on a CPU, tiny model (the tests run it)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}"
SIZE="${SIZE:-full}"
DEVICE="${DEVICE:-cuda}"
DTYPE="${DTYPE:-bfloat16}"
NAME="${NAME:-full-cuda}"
OUT="${OUT:-bench/results}"
BUDGET_S="${BUDGET_S:-540}"   # stop before a 10-minute device call does
SECTIONS="${SECTIONS:-segmenter,memory,postprocess,video}"
EXTRA=()
[ "$SIZE" = "tiny" ] && EXTRA+=(--quick)
"$PYTHON" -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(),
      torch.cuda.get_device_name() if torch.cuda.is_available() else '')"
exec timeout --signal=INT "$BUDGET_S" "$PYTHON" -m bench.run --size "$SIZE" --device "$DEVICE" --dtype "$DTYPE" \
    --compile "${COMPILE:-both}" --compile-backend "${COMPILE_BACKEND:-inductor}" --sections "$SECTIONS" --name "$NAME" --out "$OUT" "${EXTRA[@]}"

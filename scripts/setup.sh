#!/usr/bin/env bash
# Set up segchat on a fresh machine: a virtual environment in .venv with every pinned dependency.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip==26.3
# torch and torchvision first: the pinned builds run on CPU and on CUDA machines alike
.venv/bin/python -m pip install -q torch==2.14.1 torchvision==0.29.1
.venv/bin/python -m pip install -q -e ".[dev]"
echo "segchat is set up in $(pwd)/.venv"

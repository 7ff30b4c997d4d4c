#!/usr/bin/env bash
# Set up segchat on a fresh machine: a virtual environment in .venv with every pinned dependency,
# plus (as root on Debian) the CJK font for overlays, the Chromium the browser tests drive and the PostgreSQL server
# the store's tests start a throwaway cluster of.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    if ! dpkg -s fonts-wqy-microhei chromium chromium-driver postgresql >/dev/null 2>&1; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            fonts-wqy-microhei chromium chromium-driver postgresql >/dev/null \
            || echo "warning: could not install fonts-wqy-microhei / chromium / postgresql; overlays fall back to" \
                    "Pillow's font and the PostgreSQL tests skip" >&2
    fi
fi
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip==26.3
# torch and torchvision first: the pinned builds run on CPU and on CUDA machines alike
.venv/bin/python -m pip install -q torch==2.14.1 torchvision==0.29.1
.venv/bin/python -m pip install -q -e ".[dev,ray]"
# trackeval (HOTA and IDF1 for segchat eval-track) declares the full opencv-python, which would overwrite the
# headless OpenCV the dataset exports use; its metrics need only numpy, scipy and tabulate, installed above
.venv/bin/python -m pip install -q --no-deps trackeval==1.3.0
echo "segchat is set up in $(pwd)/.venv"

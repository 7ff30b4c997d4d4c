#!/usr/bin/env bash
# Every CLI verb once, small, on the demo model and the offline parser, and `serve.py --demo --offline` answering
# over REST: what a newcomer does first on a fresh clone (after scripts/setup.sh). Exit 0 only if all worked.
#
#   bash scripts/try_every_verb.sh [WORK_DIR]
set -uo pipefail
cd "$(dirname "$0")/.."
SEGCHAT=.venv/bin/segchat
PY=.venv/bin/python
WORK="${1:-$(mktemp -d)}"
mkdir -p "$WORK"
failed=0
try() {  # try NAME EXPECTED_EXIT COMMAND...
    local name=$1 expected=$2
    shift 2
    local start=$SECONDS
    "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
    local status=$?
    if [ "$status" -eq "$expected" ] && ! grep -q Traceback "$WORK/$name.err"; then
        echo "ok    $name ($((SECONDS - start)) s)"
    else
        echo "FAIL  $name: exit $status (expected $expected); $(tail -c 400 "$WORK/$name.err")"
        failed=1
    fi
}
IMAGE=examples/shapes_demo.png
try version 0 $SEGCHAT --version
try parse 0 $SEGCHAT parse --offline --json "把左边那只没戴项圈的狗抠出来"
try detect 0 $SEGCHAT detect $IMAGE "red circle" --demo --json
try detect-box 0 $SEGCHAT detect $IMAGE --box 130,250,190,310 --demo
try segment 0 $SEGCHAT segment $IMAGE "所有红色的圆形" --demo --offline --out "$WORK/segment" --data-dir "$WORK/data"
try sessions-list 0 $SEGCHAT sessions list --data-dir "$WORK/data" --json
SESSION=$($PY -c "import json, sys; print(json.load(open(sys.argv[1]))[0]['session'])" "$WORK/sessions-list.out" 2>/dev/null)
try sessions-show 0 $SEGCHAT sessions show "$SESSION" --data-dir "$WORK/data"
try sessions-export 0 $SEGCHAT sessions export "$SESSION" --format coco --out "$WORK/session_coco.json" --data-dir "$WORK/data"
try sessions-unknown 2 $SEGCHAT sessions show no-such-session --data-dir "$WORK/data"
try db-upgrade 0 $SEGCHAT db upgrade --data-dir "$WORK/data"
try db-copy 0 $SEGCHAT db copy --to "sqlite:///$WORK/copy.db" --data-dir "$WORK/data"
try db-copy-not-empty 2 $SEGCHAT db copy --to "sqlite:///$WORK/copy.db" --data-dir "$WORK/data"
try segment-bad-image 2 $SEGCHAT segment README.md "the dog" --demo --offline
try eval-parser 0 $SEGCHAT eval-parser tests/data/instructions_own_round4.jsonl --offline  # the dev set needs ../shared
try render-shapes 0 $SEGCHAT render-shapes "$WORK/shapes" --images 3 --seed 5
try annotate 0 $SEGCHAT annotate "$WORK/shapes/images" "all the red shapes" --demo --offline --out "$WORK/annotate"
try eval-shapes 0 $SEGCHAT eval-shapes --demo --images 3
try eval-agent-shapes 0 $SEGCHAT eval-agent-shapes --demo --per-kind 1
try calibrate-shapes 0 $SEGCHAT calibrate-shapes --images 3 --dry-run
try render-videos 0 $SEGCHAT render-videos "$WORK/videos" --videos 1 --frames 8 10 --seed 3
try track 0 $SEGCHAT track "$(ls "$WORK"/videos/*/video.mp4 | head -1)" "all the red shapes" --demo --offline --tracker detect \
    --out "$WORK/track"
try eval-track 0 $SEGCHAT eval-track "$WORK/videos" --demo --tracker detect --max-videos 1
try train-shapes 0 $SEGCHAT train-shapes --help

# the server: start, answer one REST request, stop
PORT=$($PY -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
$PY serve.py --demo --offline --port "$PORT" --data-dir "$WORK/server" >"$WORK/serve.out" 2>"$WORK/serve.err" &
SERVER=$!
for _ in $(seq 120); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 1; done
try serve-segment 0 curl -sf -X POST "http://127.0.0.1:$PORT/v1/segment" -F "image=@$IMAGE" \
    -F "instruction=the leftmost red circle"
kill "$SERVER"; wait "$SERVER" 2>/dev/null
grep -q '"instances"' "$WORK/serve-segment.out" || { echo "FAIL  serve-segment: no instances in the answer"; failed=1; }
echo "outputs in $WORK"
exit $failed

#!/usr/bin/env bash
# Cross-validation of four technique-model variants, and the final models, in parallel on a
# lent GPU machine (see tools/encoder_pack.py for what travels there). Writes into $OUT:
# results.tgz (every fold's result.json, logs, summaries) and the final models' fine-tuned
# weights as fp16 chunks (re-assembled and exported on the developer's machine).
#   TINY=1 OUT=/tmp/out bash tools/gpu_cv.sh      # a dry run on the CPU with a tiny random encoder
set -u
export PYTHONUNBUFFERED=1 SPINSCOPE_THREADS=1 OMP_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false
DEADLINE=${DEADLINE:-480}
W=${WORK:-/tmp/spinscope-gpu}; rm -rf "$W"; mkdir -p "$W"
START=$(date +%s)
tar xzf .gpu/data.tgz -C "$W"
PY=${PY:-python3}
if [ "${TINY:-0}" = 1 ]; then
  ENC="--tiny"; DEV="--device cpu"; EP_LONG=1; EP_SHORT=1; LIMIT="--limit 9"; EXTRA="--max-steps 3"
else
  $PY tools/encoder_pack.py unpack --src .gpu/encoder --out "$W/encoder" || exit 1
  nvidia-smi -L
  ENC="--encoder $W/encoder"; DEV="--device cuda"; EP_LONG=10; EP_SHORT=5; LIMIT=""; EXTRA=""
fi
echo "unpacked after $(( $(date +%s) - START )) s"
# smoke test: a few steps of the multi-task model on the device; stop at once if it fails
$PY -m spinscope train techniques --data "$W/ptc" --out "$W/smoke" $ENC $DEV --threads 1 --limit 6 --max-steps 3 \
    --epochs 1 --claims-data "$W/claims" >"$W/smoke.out" 2>"$W/smoke.err" || { tail -30 "$W/smoke.err"; exit 3; }
echo "smoke test passed after $(( $(date +%s) - START )) s"
train() {  # name, then spinscope train arguments
  local name=$1; shift
  $PY -m spinscope train "$@" $ENC $DEV --threads 1 --seed 13 $LIMIT $EXTRA >"$W/$name.out" 2>"$W/$name.err"
  echo "$name rc=$? after $(( $(date +%s) - START )) s" >>"$W/status"
}
CLAIMS="--claims-data $W/claims --claims-weight 0.5"
for k in 0 1 2; do
  train cvA$k cv --data "$W/ptc" --out "$W/cvA" --folds 3 --only $k --epochs $EP_LONG $CLAIMS &
  train cvB$k cv --data "$W/ptc" --out "$W/cvB" --folds 3 --only $k --epochs $EP_LONG &
  train cvC$k cv --data "$W/ptc" --out "$W/cvC" --folds 3 --only $k --epochs $EP_LONG --layers 4 $CLAIMS &
  train cvD$k cv --data "$W/ptc" --out "$W/cvD" --folds 3 --only $k --epochs $EP_SHORT $CLAIMS &
done
train finalA techniques --data "$W/ptc" --out "$W/finalA" --epochs $EP_LONG $CLAIMS --version 0.2.0 &
train finalC techniques --data "$W/ptc" --out "$W/finalC" --epochs $EP_LONG --layers 4 $CLAIMS --version 0.2.0 &
train finalD techniques --data "$W/ptc" --out "$W/finalD" --epochs $EP_SHORT $CLAIMS --version 0.2.0 &
while [ -n "$(jobs -r)" ] && [ $(( $(date +%s) - START )) -lt "$DEADLINE" ]; do sleep 5; done
[ -n "$(jobs -r)" ] && { echo "deadline: killing $(jobs -r | wc -l) jobs"; pkill -f "spinscope train"; sleep 2; }
cat "$W/status"
$PY - "$W" <<'PY'
import json, statistics, sys
from pathlib import Path
w = Path(sys.argv[1])
for v in ("cvA", "cvB", "cvC", "cvD"):
    res = [json.loads(p.read_text()) for p in sorted((w / v).glob("fold*/result.json"))]
    if not res:
        print(v, "no folds"); continue
    row = {k: [round(r[k]["f1"], 4) for r in res] for k in ("si", "tc", "full")}
    dev = [json.loads(l) for p in sorted((w / v).glob("fold*/model/train.log.jsonl")) for l in p.read_text().splitlines()]
    row["dev_si"] = [round(d["si_f1"], 4) for d in dev if d.get("event") == "dev"]
    row["thr_gap"] = [(r.get("dev_threshold"), r.get("dev_gap")) for r in res]
    print(v, json.dumps({k: (val, round(statistics.mean(val), 4)) if k != "thr_gap" else val for k, val in row.items()}))
    (w / v / "summary.json").write_text(json.dumps(row, indent=2))
PY
# final weights without the (frozen, pruned) word-embedding table, fp16, in chunks under 16 MB
for f in finalA finalC finalD; do
  [ -f "$W/$f/torch-fp32.pt" ] || continue
  $PY tools/encoder_pack.py shrink --model "$W/$f" >/dev/null || continue
  split -b 15m -d "$W/$f/weights.fp16.pt" "$OUT/$f.weights.fp16.pt.part"
done
(cd "$W" && tar czf "$OUT/results.tgz" status *.err */summary.json cv*/fold*/result.json cv*/fold*/model/config.json \
  cv*/fold*/model/train.log.jsonl final*/config.json final*/train.log.jsonl final*/tc_head.npz 2>/dev/null)
ls -la "$OUT"
echo "done after $(( $(date +%s) - START )) s"

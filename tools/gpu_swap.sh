#!/usr/bin/env bash
# Name-swap augmentation on a lent GPU machine (issue 23): 5-fold cross-validation of the shipped
# recipe with and without --swap-names on all 371 PTC articles, and both recipes trained on all of
# them, every run with the latest ClaimBuster debates' claim labels held out of the encoder
# (--claims-holdout-debates 5: fair held-out-debate claims numbers, issue 19). Writes into $OUT:
# results.tgz (fold results, logs, summaries) and the final models' fine-tuned weights as fp16
# chunks, exported here with `tools/encoder_pack.py assemble`. Prepare what travels first:
#   tar czf .gpu/data.tgz -C ../shared/data ptc claims
#   python tools/encoder_pack.py pack --out .gpu/encoder --text-dir ../shared/data/ptc/articles \
#       --csv ../shared/data/claims/crowdsourced.csv --csv ../shared/data/claims/groundtruth.csv \
#       --text-file spinscope/training/actor_pairs.tsv
#   TINY=1 OUT=/tmp/out bash tools/gpu_swap.sh     # a dry run on the CPU with a tiny random encoder
set -u
export PYTHONUNBUFFERED=1 SPINSCOPE_THREADS=1 OMP_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false
DEADLINE=${DEADLINE:-480}
W=${WORK:-/tmp/spinscope-gpu}; rm -rf "$W"; mkdir -p "$W"
START=$(date +%s)
tar xzf .gpu/data.tgz -C "$W"
PY=${PY:-python3}
if [ "${TINY:-0}" = 1 ]; then
  ENC="--tiny"; DEV="--device cpu"; EPOCHS=1; LIMIT="--limit 9"; EXTRA="--max-steps 3"
else
  $PY tools/encoder_pack.py unpack --src .gpu/encoder --out "$W/encoder" || exit 1
  nvidia-smi -L
  ENC="--encoder $W/encoder"; DEV="--device cuda"; EPOCHS=10; LIMIT=""; EXTRA=""
fi
echo "unpacked after $(( $(date +%s) - START )) s"
$PY -m spinscope train techniques --data "$W/ptc" --out "$W/smoke" $ENC $DEV --threads 1 --limit 6 --max-steps 3 \
    --epochs 1 --claims-data "$W/claims" --swap-names >"$W/smoke.out" 2>"$W/smoke.err" || { tail -30 "$W/smoke.err"; exit 3; }
echo "smoke test passed after $(( $(date +%s) - START )) s"
train() {  # name, then spinscope train arguments
  local name=$1; shift
  $PY -m spinscope train "$@" $ENC $DEV --threads 1 --seed 13 $LIMIT $EXTRA >"$W/$name.out" 2>"$W/$name.err"
  echo "$name rc=$? after $(( $(date +%s) - START )) s" >>"$W/status"
}
RECIPE="--epochs $EPOCHS --layers 4 --claims-data $W/claims --claims-weight 0.5 --claims-holdout-debates 5 --threshold 0.6 --gap 24 --extend 0.9"
for k in 0 1 2 3 4; do
  train cvBase$k cv --data "$W/ptc" --out "$W/cvBase" --folds 5 --only $k $RECIPE &
  train cvSwap$k cv --data "$W/ptc" --out "$W/cvSwap" --folds 5 --only $k $RECIPE --swap-names &
done
train finalBase techniques --data "$W/ptc" --out "$W/finalBase" $RECIPE --version 0.3.0 &
train finalSwap techniques --data "$W/ptc" --out "$W/finalSwap" $RECIPE --swap-names --version 0.3.0 &
while [ -n "$(jobs -r)" ] && [ $(( $(date +%s) - START )) -lt "$DEADLINE" ]; do sleep 5; done
[ -n "$(jobs -r)" ] && { echo "deadline: killing $(jobs -r | wc -l) jobs"; pkill -f "spinscope train"; sleep 2; }
cat "$W/status"
$PY - "$W" <<'PY'
import json, statistics, sys
from pathlib import Path
w = Path(sys.argv[1])
for v in ("cvBase", "cvSwap"):
    res = [json.loads(p.read_text()) for p in sorted((w / v).glob("fold*/result.json"))]
    if not res:
        print(v, "no folds"); continue
    row = {k: [round(r[k]["f1"], 4) for r in res] for k in ("si", "tc", "full")}
    print(v, json.dumps({k: (val, round(statistics.mean(val), 4)) for k, val in row.items()}))
    (w / v / "summary.json").write_text(json.dumps(row, indent=2))
PY
for f in finalBase finalSwap; do  # fine-tuned weights without the frozen word-embedding table, fp16, in chunks
  [ -f "$W/$f/torch-fp32.pt" ] || continue
  $PY tools/encoder_pack.py shrink --model "$W/$f" >/dev/null || continue
  split -b 15m -d "$W/$f/weights.fp16.pt" "$OUT/$f.weights.fp16.pt.part"
done
(cd "$W" && tar czf "$OUT/results.tgz" status *.err cv*/summary.json cv*/fold*/result.json cv*/fold*/model/config.json \
  cv*/fold*/model/train.log.jsonl cv*/fold*/model/tc_head.npz final*/config.json final*/train.log.jsonl final*/tc_head.npz 2>/dev/null)
ls -la "$OUT"
echo "done after $(( $(date +%s) - START )) s"

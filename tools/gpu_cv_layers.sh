#!/usr/bin/env bash
# Second device run: shallower encoders (3 layers, 10 epochs; 4 layers, 15 epochs), multi-task, CV + final.
set -u
export PYTHONUNBUFFERED=1 SPINSCOPE_THREADS=1 OMP_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false
DEADLINE=${DEADLINE:-280}; W=/tmp/spinscope-gpu2; rm -rf $W; mkdir -p $W; START=$(date +%s)
tar xzf .gpu/data.tgz -C $W; python3 tools/encoder_pack.py unpack --src .gpu/encoder --out $W/encoder || exit 1
train() { local name=$1; shift
  python3 -m spinscope train "$@" --encoder $W/encoder --device cuda --threads 1 --seed 13 --claims-data $W/claims --claims-weight 0.5 >$W/$name.out 2>$W/$name.err
  echo "$name rc=$? after $(( $(date +%s) - START )) s" >>$W/status; }
for k in 0 1 2; do
  train cvE$k cv --data $W/ptc --out $W/cvE --folds 3 --only $k --epochs 10 --layers 3 &
  train cvF$k cv --data $W/ptc --out $W/cvF --folds 3 --only $k --epochs 15 --layers 4 &
done
train finalE techniques --data $W/ptc --out $W/finalE --epochs 10 --layers 3 --version 0.2.0 &
while [ -n "$(jobs -r)" ] && [ $(( $(date +%s) - START )) -lt $DEADLINE ]; do sleep 3; done
[ -n "$(jobs -r)" ] && { echo "deadline"; pkill -f "spinscope train"; sleep 2; }
cat $W/status
python3 - $W <<'PY'
import json, statistics, sys
from pathlib import Path
w = Path(sys.argv[1])
for v in ("cvE", "cvF"):
    res = [json.loads(p.read_text()) for p in sorted((w / v).glob("fold*/result.json"))]
    print(v, {k: ([round(r[k]["f1"], 4) for r in res], round(statistics.mean([r[k]["f1"] for r in res]), 4) if res else None) for k in ("si", "tc", "full")})
PY
if [ -f $W/finalE/torch-fp32.pt ]; then python3 -c "
import torch; sd=torch.load('$W/finalE/torch-fp32.pt'); torch.save({k:(v.half() if v.is_floating_point() else v) for k,v in sd.items() if 'word_embeddings' not in k}, '$W/finalE/weights.fp16.pt')"
split -b 15m -d $W/finalE/weights.fp16.pt $OUT/finalE.weights.fp16.pt.part; fi
(cd $W && tar czf $OUT/results2.tgz status *.err cv*/fold*/result.json cv*/fold*/model/config.json cv*/fold*/model/train.log.jsonl finalE/config.json finalE/train.log.jsonl 2>/dev/null)
echo "done after $(( $(date +%s) - START )) s"

"""ClaimBuster data: sentences with their debate (``File_id``, the debate's date), line and speaker;
splits by sentence or by whole debates; transcripts rebuilt for sentences in context."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import numpy as np

from ..claims import (
    block_sentence_vectors,
)

FILES = ("crowdsourced.csv", "groundtruth.csv")


def load_claimbuster(data: Path, limit: int = 0) -> list[dict]:
    """Sentences of the ClaimBuster CSV files in ``data``: id, text, label (1/0), verdict (1 check-worthy,
    0 unimportant factual, -1 non-factual), file, line, speaker."""
    found = [data / f for f in FILES if (data / f).exists()]
    if not found:
        raise SystemExit(f"spinscope train claims: {data} holds neither {FILES[0]} nor {FILES[1]}")
    items = []
    for path in found:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            for row in csv.DictReader(fh):
                text = (row.get("Text") or "").strip()
                if not text or row.get("Verdict") is None:
                    continue
                items.append({
                    "id": row.get("Sentence_id", ""), "text": text, "label": 1 if row["Verdict"].strip() == "1" else 0,
                    "verdict": int(row["Verdict"].strip()) if row["Verdict"].strip() in ("-1", "0", "1") else 0,
                    "file": row.get("File_id") or path.name, "line": int(float(row.get("Line_number") or 0)),
                    "speaker": row.get("Speaker", ""), "source": path.name,
                })
    items.sort(key=lambda r: (r["file"], r["line"], r["source"], r["id"]))
    if limit:
        items = items[:limit]
    return items


def split_dev(n_items: int, labels: list[int], seed: int, fraction: float) -> tuple[list[int], list[int]]:
    """Seeded split stratified by label: (train indices, dev indices), both sorted."""
    rng = random.Random(seed)
    dev: list[int] = []
    for lab in (0, 1):
        idx = [i for i in range(n_items) if labels[i] == lab]
        rng.shuffle(idx)
        dev.extend(idx[: int(round(len(idx) * fraction))])
    dev_set = set(dev)
    return [i for i in range(n_items) if i not in dev_set], sorted(dev)


def debate_order(items: list[dict]) -> list[str]:
    """The File_ids of ``items``, oldest first (ClaimBuster names debates by date, YYYY-MM-DD.txt)."""
    return sorted({r["file"] for r in items})


def split_debates(items: list[dict], holdout: int, val: int, final: bool = False
                  ) -> tuple[list[int], list[int], list[int], dict]:
    """Split by whole debates: the ``holdout`` latest debates are the test set, the ``val`` latest of
    the others the validation set, the rest the training set. Returns (train, val, test, names).
    ``final``: no test set is needed (``holdout`` may be 0), as for the model to ship."""
    files = debate_order(items)
    if holdout < (0 if final else 1) or val < 1 or holdout + val >= len(files):
        raise SystemExit(f"spinscope train claims: {len(files)} debates cannot give {holdout} held-out and "
                         f"{val} validation debates and still leave one to train on")
    n = len(files)
    test_f, val_f = set(files[n - holdout :]), set(files[n - holdout - val : n - holdout])
    parts: dict[str, list[int]] = {"train": [], "val": [], "test": []}
    for i, r in enumerate(items):
        parts["test" if r["file"] in test_f else "val" if r["file"] in val_f else "train"].append(i)
    names = {"train": files[: n - holdout - val], "val": sorted(val_f), "test": sorted(test_f)}
    return parts["train"], parts["val"], parts["test"], names


def feature_cache_key(enc_sha: str, items: list[dict], max_len: int, mask_names=None,
                      layers: tuple[str, ...] = ()) -> str:
    """A key for cached sentence vectors: the encoder, how it masks names, the inner layers pooled,
    max_len and every sentence with its place."""
    import hashlib
    import json

    h = hashlib.sha256(f"{enc_sha}|{max_len}".encode())
    if mask_names:
        h.update(("|mask " + json.dumps(mask_names, sort_keys=True)).encode())
    if layers:
        h.update(("|layers " + ",".join(layers)).encode())
    for r in items:
        h.update(f"\0{r['file']}\0{r['line']}\0{r['speaker']}\0{r['text']}".encode())
    return h.hexdigest()[:20]


def debates(items: list[dict]) -> list[tuple[str, list[tuple[int, int, int]]]]:
    """Rebuild each transcript: sentences in line order, a speaker's turn on one line.

    Returns (text, [(item index, start, end), ...]) per File_id, offsets exact.
    """
    by_file: dict[str, list[int]] = {}
    for i, r in enumerate(items):
        by_file.setdefault(r["file"], []).append(i)
    docs = []
    for f in sorted(by_file):
        idx = sorted(by_file[f], key=lambda i: (items[i]["line"], items[i]["id"]))
        parts, spans, pos, prev = [], [], 0, None
        for i in idx:
            sep = "" if prev is None else (" " if items[i]["speaker"] == prev else "\n")
            pos += len(sep)
            parts.append(sep + items[i]["text"])
            spans.append((i, pos, pos + len(items[i]["text"])))
            pos += len(items[i]["text"])
            prev = items[i]["speaker"]
        docs.append(("".join(parts), spans))
    return docs


def context_vectors(detector, items: list[dict], pooling: str = "mean", layers: tuple[str, ...] = ()) -> np.ndarray:
    """Shared-mode features of every sentence pooled in context (as analyze does): [N, W or 2W],
    W = (K + 1) * H with K inner ``layers`` pooled beside the last."""
    width = detector.hidden_size * (len(layers) + 1)
    out = np.zeros((len(items), width * (2 if pooling == "mean+max" else 1)), np.float32)
    for text, spans in debates(items):
        for blk in detector.iter_encoded(text, layers=layers):
            bstart, bend = blk.start, blk.start + len(blk.text)
            mine = [(i, s, min(e, bend)) for i, s, e in spans if bstart <= s < bend]
            if not mine:
                continue
            vecs = block_sentence_vectors(blk, [(s, e) for _, s, e in mine], pooling)
            for (i, _, _), v in zip(mine, vecs):
                out[i] = v
    return out



"""Self-training and distillation data: unlabeled articles with a teacher model's span probabilities.

A teacher (an exported technique model) reads each unlabeled article; its per-token P(O, B, I)
become soft targets for the student's span tagger (``train_model(soft=...)``). The teacher must
read text as the student does (same tokenizer, same name masking), so the targets line up with
the student's tokens one for one; a teacher that reads otherwise is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..detect.masking import encode
from ..document import InputError


@dataclass
class SoftArticle:
    id: str
    ids: np.ndarray  # token ids, as the student reads the text
    probs: np.ndarray  # [n, 3] the teacher's P(O), P(B), P(I) per token


def read_unlabeled(folder: Path, limit: int = 0) -> dict[str, str]:
    """The ``*.txt`` files of ``folder`` (sorted by name; the first ``limit`` when given), blank ones skipped."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"--unlabeled {folder}: not a folder")
    texts = {}
    for path in sorted(folder.glob("*.txt")):
        text = path.read_text(encoding="utf-8", errors="replace")
        if text.strip():
            texts[path.stem] = text
        if limit and len(texts) >= limit:
            break
    if not texts:
        raise InputError(f"--unlabeled {folder}: no non-empty .txt files")
    return texts


def label_articles(teacher_dir: Path, texts: dict[str, str], tokenizer, mask_ids: dict | None,
                   threads: int = 2) -> list[SoftArticle]:
    """The teacher's token probabilities for each text, one :class:`SoftArticle` per encoder block
    (long texts are read in blocks, as ``analyze`` reads them)."""
    from ..detect import Detector, ModelError

    teacher_dir = Path(teacher_dir)
    try:
        det = Detector(teacher_dir, threads=threads)
    except (ModelError, OSError) as e:
        raise InputError(f"--teacher {teacher_dir}: {e}") from None
    out = []
    for aid, text in texts.items():
        for k, blk in enumerate(det.encode(text)):
            ids, _ = encode(tokenizer, blk.text, mask_ids)
            if len(ids) != len(blk.ids) or not np.array_equal(ids, blk.ids):
                raise InputError(f"--teacher {teacher_dir} reads text with other tokens than this training run "
                                 "(a different tokenizer or --mask-names); its probabilities would not line up")
            out.append(SoftArticle(f"{aid}#{k}", np.asarray(ids, np.int64), blk.probs.astype(np.float32)))
    return out

"""Self-training and distillation data: unlabeled articles with a teacher model's span probabilities.

A teacher (an exported technique model) reads each unlabeled article; its per-token P(O, B, I)
become soft targets for the student's span tagger (``train_model(soft=...)``). A teacher with the
student's tokenizer lines up token for token; one with another (a larger encoder's) is lined up
by character offsets (:func:`align_probs`). Both must mask the same kinds of names, or the teacher
would read words the student never sees; a teacher that masks otherwise is refused.
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
    if set(det.mask_ids or {}) != set(mask_ids or {}):
        raise InputError(f"--teacher {teacher_dir} masks names otherwise than this training run "
                         f"({sorted(det.mask_ids or {}) or 'none'} against {sorted(mask_ids or {}) or 'none'}: "
                         "see --mask-names); its probabilities would be of other words")
    out = []
    for aid, text in texts.items():
        for k, blk in enumerate(det.encode(text)):
            ids, offsets = encode(tokenizer, blk.text, mask_ids)
            if np.array_equal(ids, blk.ids):
                probs = blk.probs
            else:
                probs = align_probs(offsets, blk.offsets, blk.probs)
            out.append(SoftArticle(f"{aid}#{k}", np.asarray(ids, np.int64), probs.astype(np.float32)))
    return out


def align_probs(offsets: np.ndarray, teacher_offsets: np.ndarray, teacher_probs: np.ndarray) -> np.ndarray:
    """The teacher's P(O, B, I) for each student token ``[start, end)`` in ``offsets``: those of the
    teacher token its first character falls in (or the nearest one before). Where several student
    tokens share one teacher token, only the first may begin a span: the others' B goes to I."""
    if len(teacher_offsets) == 0:
        out = np.zeros((len(offsets), 3), np.float32)
        out[:, 0] = 1.0
        return out
    j = np.searchsorted(teacher_offsets[:, 0], offsets[:, 0], side="right") - 1
    j = np.clip(j, 0, len(teacher_offsets) - 1)
    out = teacher_probs[j].astype(np.float32).copy()
    repeat = np.zeros(len(j), bool)
    repeat[1:] = j[1:] == j[:-1]
    out[repeat, 2] += out[repeat, 1]
    out[repeat, 1] = 0.0
    return out

"""Self-training and distillation data: unlabeled articles with a teacher model's span probabilities.

A teacher (an exported technique model) reads each unlabeled article; its per-token P(O, B, I)
become soft targets for the student's span tagger (``train_model(soft=...)``). A teacher with the
student's tokenizer lines up token for token; one with another (a larger encoder's) is lined up
by character offsets (:func:`align_probs`). Both must mask the same kinds of names, or the teacher
would read words the student never sees; a teacher that masks otherwise is refused.

The teacher's probabilities can also be written once to a soft-labels file (:func:`write_soft_labels`,
``spinscope train soft-labels``) and read by later runs (:func:`read_soft_labels`): a large teacher
labels on a lent GPU or in one long run, and every student run afterwards reads the file.
"""

from __future__ import annotations

import gzip
import json
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


FORMAT = "spinscope-soft-labels"


def _teacher(teacher_dir: Path, threads: int):
    from ..detect import Detector, ModelError

    try:
        return Detector(Path(teacher_dir), threads=threads)
    except (ModelError, OSError) as e:
        raise InputError(f"--teacher {teacher_dir}: {e}") from None


def _check_mask(source: str, teacher_kinds, mask_ids: dict | None) -> None:
    if set(teacher_kinds or ()) != set(mask_ids or {}):
        raise InputError(f"{source} masks names otherwise than this training run "
                         f"({sorted(teacher_kinds or ()) or 'none'} against {sorted(mask_ids or {}) or 'none'}: "
                         "see --mask-names); its probabilities would be of other words")


def _student(tokenizer, mask_ids, bid: str, text: str, t_offsets: np.ndarray, t_probs: np.ndarray) -> SoftArticle:
    """One teacher block as the student reads it: its own tokens, the teacher's probabilities lined up."""
    ids, offsets = encode(tokenizer, text, mask_ids)
    return SoftArticle(bid, np.asarray(ids, np.int64), np.asarray(_line_up(offsets, t_offsets, t_probs), np.float32))


def _line_up(offsets: np.ndarray, t_offsets: np.ndarray, t_probs: np.ndarray) -> np.ndarray:
    """Teacher probabilities on the tokens ``offsets``: as they are when the tokens are the same."""
    return t_probs if np.array_equal(offsets, t_offsets) else align_probs(offsets, t_offsets, t_probs)


def label_articles(teacher_dir: Path, texts: dict[str, str], tokenizer, mask_ids: dict | None,
                   threads: int = 2) -> list[SoftArticle]:
    """The teacher's token probabilities for each text, one :class:`SoftArticle` per encoder block
    (long texts are read in blocks, as ``analyze`` reads them)."""
    det = _teacher(teacher_dir, threads)
    _check_mask(f"--teacher {teacher_dir}", det.mask_ids, mask_ids)
    return [_student(tokenizer, mask_ids, f"{aid}#{k}", blk.text, blk.offsets, blk.probs)
            for aid, text in texts.items() for k, blk in enumerate(det.encode(text))]


def write_soft_labels(teacher_dirs: list[Path], texts: dict[str, str], out: Path, threads: int = 2) -> dict:
    """Write the teachers' per-token P(O, B, I) on each text to ``out`` (gzipped JSON lines: a header,
    then one line per encoder block with its text, the first teacher's token offsets and the mean
    of the teachers' probabilities, each lined up on the first teacher's tokens)."""
    teacher_dirs = [Path(d) for d in teacher_dirs]
    dets = [_teacher(d, threads) for d in teacher_dirs]
    for d, det in zip(teacher_dirs[1:], dets[1:]):
        _check_mask(f"--teacher {d}", det.mask_ids, dets[0].mask_ids)
    cfgs = [json.loads((d / "config.json").read_text()) for d in teacher_dirs]
    header = {"format": FORMAT, "version": 1, "teachers": [str(d.resolve()) for d in teacher_dirs],
              "teacher_versions": [c.get("version") for c in cfgs],
              "encoders": [(c.get("train") or {}).get("encoder") for c in cfgs],
              "mask": sorted(dets[0].mask_ids or {}), "articles": len(texts)}
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    blocks = tokens = 0
    tmp = out.with_name(out.name + ".part")
    with gzip.open(tmp, "wt", encoding="utf-8") as f:
        f.write(json.dumps(header) + "\n")
        for aid, text in texts.items():
            per_teacher = [det.encode(text) for det in dets]  # blocks are cut by characters: the same for all
            for k, (first, *others) in enumerate(zip(*per_teacher, strict=True)):
                probs = [first.probs] + [_line_up(first.offsets, o.offsets, o.probs) for o in others]
                f.write(json.dumps({"id": f"{aid}#{k}", "text": first.text,
                                    "offsets": np.asarray(first.offsets).reshape(-1).tolist(),
                                    "probs": np.round(np.mean(probs, axis=0, dtype=np.float64), 4).reshape(-1).tolist()})
                        + "\n")
                blocks += 1
                tokens += len(first.offsets)
    tmp.replace(out)  # a half-written file never takes the name
    return {**header, "out": str(out), "blocks": blocks, "tokens": tokens}


def read_soft_labels(path: Path, tokenizer, mask_ids: dict | None, limit: int = 0) -> list[SoftArticle]:
    """The blocks of a :func:`write_soft_labels` file as the student reads them (the first ``limit``
    articles when given); a file of a teacher that masks otherwise is refused."""
    path = Path(path)
    source = f"--soft-labels {path}"
    try:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            header = json.loads(f.readline() or "null")
            if not isinstance(header, dict) or header.get("format") != FORMAT:
                raise InputError(f"{source}: not a soft-labels file of 'spinscope train soft-labels'")
            _check_mask(source, header.get("mask"), mask_ids)
            out, seen = [], set()
            for line in f:
                rec = json.loads(line)
                aid = rec["id"].rsplit("#", 1)[0]
                if limit and aid not in seen and len(seen) >= limit:
                    break
                seen.add(aid)
                offsets = np.asarray(rec["offsets"], np.int64).reshape(-1, 2)
                probs = np.asarray(rec["probs"], np.float32).reshape(-1, 3)
                if len(offsets) != len(probs):
                    raise InputError(f"{source}: block {rec['id']} has {len(offsets)} tokens but {len(probs)} probabilities")
                out.append(_student(tokenizer, mask_ids, rec["id"], rec["text"], offsets, probs))
    except FileNotFoundError:
        raise InputError(f"{source}: no such file") from None
    except (OSError, EOFError, ValueError, KeyError, TypeError) as e:
        raise InputError(f"{source}: unreadable ({type(e).__name__}: {e})") from None
    if not out:
        raise InputError(f"{source}: holds no blocks")
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

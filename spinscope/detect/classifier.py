"""The span classifier at run time: an int8 ONNX encoder that names the technique of each found span.

It reads each span with its sentence (:func:`~spinscope.detect.span_input.span_input`), one span
at a time; a model folder that holds ``classifier/`` uses it in place of the
tagger's linear technique head (which still picks the trigger words of the explanations).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..errors import ModelError
from .features import extra_features
from .runtime import session_options, sha256
from .span_input import span_input


class SpanClassifier:
    def __init__(self, model_dir: Path, labels: list[str], threads: int, verify: bool = True,
                 tokenizer_sha256: str | None = None):
        self.model_dir = model_dir
        cfg_path = model_dir / "config.json"
        try:
            self.config = json.loads(cfg_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise ModelError(f"span classifier {model_dir}: no readable config.json ({e})") from None
        if self.config.get("labels") != labels:
            raise ModelError(f"span classifier {model_dir}: its techniques differ from the tagger's")
        want = self.config.get("tokenizer_sha256")
        if want and tokenizer_sha256 and want != tokenizer_sha256:
            raise ModelError(f"span classifier {model_dir}: trained with another tokenizer than the tagger's")
        if verify:
            for name, digest in self.config.get("sha256", {}).items():
                p = model_dir / name
                if not p.exists() or sha256(p) != digest:
                    raise ModelError(f"model file {p} is missing or does not match its checksum; reinstall spinscope")
        self.marked = self.config.get("input", "pair") == "marked"
        self.threads = threads
        self.spinning = True
        self._session = None

    def with_threads(self, threads: int) -> "SpanClassifier":
        """This classifier with its own session on ``threads`` threads whose idle threads sleep."""
        import copy

        sib = copy.copy(self)
        sib.threads, sib.spinning, sib._session = threads, False, None
        return sib

    @property
    def session(self):
        if self._session is None:
            import onnxruntime as ort

            so = session_options(self.threads, spinning=self.spinning)
            self._session = ort.InferenceSession(str(self.model_dir / self.config["onnx"]), so,
                                                 providers=["CPUExecutionProvider"])
        return self._session

    def probs(self, ids: np.ndarray, starts: np.ndarray, spans: list[tuple[int, int, int]],
              cls_id: int, sep_id: int) -> np.ndarray:
        """``[N, C]`` probabilities for ``spans``: ``(a, b, rep)``, the span's tokens ``[a, b)`` in
        ``ids`` and how often else its phrase occurs in the text (``features.repetition_count``)."""
        items = []
        for a, b, rep in spans:
            x, t = span_input(ids, starts, a, b, cls_id, sep_id, self.marked)
            items.append((x, t, extra_features(b - a, rep)))
        out = np.zeros((len(items), len(self.config["labels"])), np.float32)
        for i, (x, t, ex) in enumerate(items):  # one span a run: int8 activations are scaled per run, so a
            # span's label must not depend on which other spans share its batch
            (p,) = self.session.run(None, {"input_ids": x[None], "token_type_ids": t[None],
                                           "attention_mask": np.ones_like(x)[None], "extras": ex[None].astype(np.float32)})
            out[i] = p[0]
        return out

"""The technique detector (:class:`Detector`) and the pieces it is made of: token windows,
span decoding and edges, span features, explanations and score calibration.

:mod:`spinscope.training` uses the same windows and features, so that training and inference see
exactly the same inputs.
"""

from ..errors import ModelError
from .calibration import apply_score_map, checked_score_map
from .decoding import (
    decode_spans,
    extend_to_sentence_end,
    join_runs,
    line_breaks,
    newlines_before,
    sentence_starts,
    word_tokens,
)
from .detector import (
    MODEL_DIR,
    Block,
    Detector,
    default_detector,
    detect_spans,
    load_detector,
    session_options,
    sha256,
)
from .explain import explain, is_function_word
from .features import CONTEXT, extra_features, pool_features, repetition_count, softmax
from .spans import has_word, snap_span
from .windows import BLOCK_CHARS, LAST_WINDOW, best_window, make_windows, token_owners

__all__ = [
    "BLOCK_CHARS", "CONTEXT", "LAST_WINDOW", "MODEL_DIR", "Block", "Detector", "ModelError", "apply_score_map",
    "best_window", "checked_score_map", "decode_spans", "default_detector", "detect_spans", "explain", "extend_to_sentence_end",
    "extra_features", "has_word", "is_function_word", "join_runs", "line_breaks", "load_detector", "make_windows",
    "newlines_before", "pool_features", "repetition_count", "sentence_starts", "session_options", "sha256",
    "snap_span", "softmax", "token_owners", "word_tokens",
]

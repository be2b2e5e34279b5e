"""spinscope: see how a piece of news or opinion writing tries to persuade.

The Python API: :func:`analyze` one text, :func:`analyze_many` texts, each to an :class:`Analysis`.
"""

from __future__ import annotations

__version__ = "0.9.1"

from .document import Analysis, Claim, Entity, InputError, Sentence, Span  # noqa: E402 - after __version__, which they read
from .pipeline import ENTITY_MAX_CHARS, PIPELINE_DEPTH, analyze, analyze_many  # noqa: E402

__all__ = ["analyze", "analyze_many", "Analysis", "Span", "Sentence", "Claim", "Entity", "InputError", "__version__",
           "ENTITY_MAX_CHARS", "PIPELINE_DEPTH"]

"""spinscope: see how a piece of news or opinion writing tries to persuade."""

from __future__ import annotations

from .document import Analysis, InputError, Sentence, Span, split_sentences

__version__ = "0.1.0"
__all__ = ["analyze", "Analysis", "Span", "Sentence", "InputError", "__version__"]


def analyze(text: str, *, title: str | None = None, detector=None) -> Analysis:
    """Analyse one text: its sentences and every persuasion-technique span, with exact offsets.

    Empty or whitespace-only text gives an empty analysis. ``detector`` defaults to the shipped
    model, loaded once per process.
    """
    if not isinstance(text, str):
        raise TypeError(f"analyze() takes a str, not {type(text).__name__}; decode bytes as UTF-8 first")
    from .detect import default_detector

    det = detector or default_detector()
    spans = det.detect(text) if text.strip() else []
    return Analysis(text=text, title=title, sentences=split_sentences(text), spans=spans, model=det.info)

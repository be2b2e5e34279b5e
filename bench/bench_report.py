"""Size and speed of the HTML report (``spinscope.render.html.render_html``) and of the terminal output.

    python bench/bench_report.py [--repeat 5]

Analyses the bundled sample article with the shipped model when there is one
(``spinscope/models/config.json``), else places spans by hand (a dense case: about 10 spans per
100 words, nested and overlapping). The ~1,000- and ~10,000-word articles are the sample repeated.
Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import gzip
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402

from spinscope.document import Analysis, Span, split_sentences  # noqa: E402
from spinscope.render.html import render_html  # noqa: E402
from spinscope.render.terminal import render_text  # noqa: E402

SAMPLE = ROOT / "spinscope" / "samples" / "sample_article.txt"

# phrase -> technique, score; every occurrence becomes a span (used when no model is shipped)
PHRASES = {
    "The Harbour Bridge Scandal Nobody Wants You to See": ("Loaded_Language", 0.62),
    "once again betrayed the hardworking families of Port Alder": ("Appeal_to_fear-prejudice", 0.41),
    "betrayed": ("Loaded_Language", 0.91),
    "hardworking families": ("Flag-Waving", 0.38),
    "Is it really?": ("Doubt", 0.83),
    "Or is it simply the latest gift to her friends?": ("Doubt", 0.77),
    "Every honest resident knows the answer.": ("Bandwagon,Reductio_ad_hitlerum", 0.66),
    "Real patriots who love this town will not stand by": ("Flag-Waving", 0.88),
    "a gang of career politicians": ("Name_Calling,Labeling", 0.9),
    "gang": ("Loaded_Language", 0.7),
    "Experts agree that the bridge will cost far more than promised": ("Appeal_to_Authority", 0.72),
    "is a fantasy that will collapse the moment the first pile is driven": ("Exaggeration,Minimisation", 0.58),
    "anti-progress": ("Name_Calling,Labeling", 0.64),
    "But what about the millions they wasted on the stadium nobody uses?": ("Whataboutism,Straw_Men,Red_Herring", 0.8),
    "If this contract goes ahead, our taxes will soar": ("Causal_Oversimplification", 0.35),
    "our taxes will soar, small shops will close, and our children will inherit a city drowning in debt":
        ("Appeal_to_fear-prejudice", 0.86),
    "drowning in debt": ("Loaded_Language", 0.55),
    "There are only two choices: stop the bridge deal now, or watch Port Alder go bankrupt.": ("Black-and-White_Fallacy", 0.81),
    "disaster": ("Repetition", 0.6),
    "Enough is enough.": ("Thought-terminating_Cliches", 0.7),
    "Take back our harbour!": ("Slogans", 0.84),
}


def hand_built(text: str) -> Analysis:
    spans = []
    for phrase, (tech, score) in PHRASES.items():
        start = text.find(phrase)
        while start >= 0:
            spans.append(Span(start, start + len(phrase), tech, score, phrase,
                              f"Words that weighed most: “{phrase.split()[0]}”, “{phrase.split()[-1]}”.", score))
            start = text.find(phrase, start + 1)
    spans.sort(key=lambda s: (s.start, s.end))
    return Analysis(text=text, sentences=split_sentences(text), spans=spans)


def analyse(text: str, use_model: bool) -> Analysis:
    if use_model:
        import spinscope

        return spinscope.analyze(text)
    return hand_built(text)


def timed(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    use_model = (ROOT / "spinscope" / "models" / "config.json").exists()
    sample = SAMPLE.read_text(encoding="utf-8")
    print(f"spans from: {'the shipped model' if use_model else 'hand-placed phrases (no shipped model)'}")
    print(f"{'article':>16} {'words':>6} {'spans':>6} {'html KB':>8} {'html gz KB':>10} {'write ms':>9} {'text ms':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.html"
        for name, copies in (("sample", 1), ("~1,000 words", 4), ("~10,000 words", 40)):
            text = "\n\n".join([sample] * copies)
            a = analyse(text, use_model)

            def write():
                out.write_text(render_html(a, source=f"{name}.txt"), encoding="utf-8")

            ms = 1000 * timed(write, args.repeat)
            size = out.stat().st_size
            gz = len(gzip.compress(out.read_bytes()))
            text_ms = 1000 * timed(lambda: render_text(a, Console(file=io.StringIO(), width=100), source=name),
                                   args.repeat)
            print(f"{name:>16} {a.word_count:6d} {len(a.spans):6d} {size / 1000:8.1f} {gz / 1000:10.1f} "
                  f"{ms:9.1f} {text_ms:8.1f}")


if __name__ == "__main__":
    main()

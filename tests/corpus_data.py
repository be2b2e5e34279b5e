"""Made-up corpus data shared by the corpus, Ray and dashboard tests (no model needed)."""

from spinscope.corpus import ModelIdentity, result_from_analysis
from spinscope.document import Analysis, Span

FAKE = ModelIdentity({"name": "fake", "version": "1", "threshold": 0.5}, "fake0001", None)
WORDS = ("the corrupt council betrayed hardworking families critics called mayor clown liar deal legal experts agree "
         "bridge total catastrophe patriots never surrender great nation taxes went up because governor").split()


def text_of(i: int, n: int = 40, seed: int = 0) -> str:
    import random

    rnd = random.Random(i * 7919 + seed)
    return f"Report {i}.\n" + " ".join(rnd.choice(WORDS) for _ in range(n)) + ".\n"


def hand_result(text: str, spans: list[tuple[int, int, str]]) -> dict:
    a = Analysis(text=text, spans=[Span(s, e, t, 0.9, text[s:e]) for s, e, t in spans], model={"name": "fake", "version": "1"})
    return result_from_analysis(a)


HOSTILE_TITLE = "<script>alert(1)</script> & \"quotes\""

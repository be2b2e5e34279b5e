"""The 14 propaganda techniques of the Propaganda Techniques Corpus (SemEval-2020 Task 11).

Labels are spelled exactly as in the PTC label files; everything else (display name, definition,
example, colour) is for people.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Technique:
    label: str  # exactly as in PTC's techniques.txt
    name: str  # display name
    definition: str  # one line a reader understands
    example: str
    colour: str  # CSS hex, readable on light and dark backgrounds

    def as_dict(self) -> dict:
        return {
            "label": self.label,
            "name": self.name,
            "definition": self.definition,
            "example": self.example,
            "colour": self.colour,
        }


TECHNIQUES: tuple[Technique, ...] = (
    Technique(
        "Appeal_to_Authority",
        "Appeal to authority",
        "Claims something is true because an authority or expert said so, without other evidence.",
        "\"The world's leading scientists agree this policy will fail.\"",
        "#1f77b4",
    ),
    Technique(
        "Appeal_to_fear-prejudice",
        "Appeal to fear or prejudice",
        "Builds support for an idea by stoking anxiety or panic about an alternative, or by playing on prejudice.",
        "\"Stop them now, or our children will pay the price.\"",
        "#d62728",
    ),
    Technique(
        "Bandwagon,Reductio_ad_hitlerum",
        "Bandwagon / Reductio ad Hitlerum",
        "Urges joining in because 'everyone' does, or rejects an idea because a despised group holds it.",
        "\"Millions have already signed up. Only extremists still oppose it.\"",
        "#8c564b",
    ),
    Technique(
        "Black-and-White_Fallacy",
        "Black-and-white fallacy",
        "Presents two alternatives as the only possibilities when more exist.",
        "\"You are either with us or against us.\"",
        "#7f7f7f",
    ),
    Technique(
        "Causal_Oversimplification",
        "Causal oversimplification",
        "Assumes a single cause or reason for an issue that has several.",
        "\"Crime rose because of the new mayor.\"",
        "#bcbd22",
    ),
    Technique(
        "Doubt",
        "Doubt",
        "Questions the credibility of someone or something, often without grounds.",
        "\"Is he really ready to be the mayor?\"",
        "#17becf",
    ),
    Technique(
        "Exaggeration,Minimisation",
        "Exaggeration or minimisation",
        "Represents something as far better, worse, larger or smaller than it really is.",
        "\"This is the greatest disaster in human history.\"",
        "#ff7f0e",
    ),
    Technique(
        "Flag-Waving",
        "Flag-waving",
        "Plays on strong national or group feeling to justify or promote an action or idea.",
        "\"Patriotic Americans will stand behind this bill.\"",
        "#2ca02c",
    ),
    Technique(
        "Loaded_Language",
        "Loaded language",
        "Uses words or phrases with strong emotional charge to sway the reader.",
        "\"a brutal, shameless assault on our freedoms\"",
        "#e377c2",
    ),
    Technique(
        "Name_Calling,Labeling",
        "Name calling / labelling",
        "Attaches a label the audience fears, hates or finds desirable to a person, group or idea.",
        "\"the globalist elites\", \"a true patriot\"",
        "#9467bd",
    ),
    Technique(
        "Repetition",
        "Repetition",
        "Repeats the same message or phrase again and again so the audience comes to accept it.",
        "\"Build the wall! ... We will build the wall.\"",
        "#aec7e8",
    ),
    Technique(
        "Slogans",
        "Slogan",
        "A brief, striking phrase that works as an emotional appeal or label.",
        "\"Make America great again!\"",
        "#ff9896",
    ),
    Technique(
        "Thought-terminating_Cliches",
        "Thought-terminating cliché",
        "A short, generic phrase that discourages critical thought and ends the discussion.",
        "\"It is what it is.\"",
        "#c5b0d5",
    ),
    Technique(
        "Whataboutism,Straw_Men,Red_Herring",
        "Whataboutism / straw man / red herring",
        "Deflects criticism by pointing at an opponent, distorts their position, or changes the subject.",
        "\"But what about the crimes of the other side?\"",
        "#98df8a",
    ),
)

LABELS: tuple[str, ...] = tuple(t.label for t in TECHNIQUES)
BY_LABEL: dict[str, Technique] = {t.label: t for t in TECHNIQUES}


def get(label: str) -> Technique:
    """Return the technique for a PTC label; KeyError with the known labels otherwise."""
    try:
        return BY_LABEL[label]
    except KeyError:
        raise KeyError(f"unknown technique {label!r}; known: {', '.join(LABELS)}") from None


def lookup(label: str) -> Technique:
    """The technique for a label; an unknown label (say from another model) gets a grey stand-in,
    so that renderers can show any model's output."""
    return BY_LABEL.get(label) or Technique(label, label.replace("_", " "), "", "", "#888888")

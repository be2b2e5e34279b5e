"""The package's exceptions. Each message is one line for the user: it names the input and says what is wrong."""


class InputError(Exception):
    """Input that spinscope cannot read; the message names the input and says what is wrong."""


class ModelError(Exception):
    """The model files are missing, damaged or inconsistent."""


class EntityModelError(Exception):
    """The spaCy pipeline for entities is not installed."""


class CorpusError(Exception):
    """Something that stops a corpus command; the message is one line for the user."""


class OutputError(Exception):
    """An output that cannot be written; the message names it and says why."""


class AnalysisTimeout(Exception):
    """The analysis ran past its time budget (see :func:`spinscope.budget.time_limit`)."""


class TrainingPaused(Exception):
    """Training stopped at its time limit after saving a checkpoint; the same command resumes it."""

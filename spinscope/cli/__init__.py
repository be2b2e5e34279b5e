"""The ``spinscope`` command: one parser, a module per command, each a thin layer over the Python API.

Every command module has ``add_parser(subparsers)`` (which sets ``func``) and ``run(args)``. Only
the command being run is imported and gets its whole parser; the others are listed in ``--help``
by name and help line (tests check these lines against the whole parsers).
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .. import __version__
from ..output import OutputError, err, stdout_to_devnull

# command -> (module in this package, help line), in the order --help lists them
COMMANDS = {
    "analyze": ("analyze", "find persuasion techniques in texts"),
    "classify": ("classify", "label given spans with techniques (SemEval TC task)"),
    "eval": ("eval", "score the models, or a prediction file, against PTC labels"),
    "claims": ("claims", "score the check-worthiness of sentences in a TSV file (CheckThat! format)"),
    "corpus": ("corpus", "store and query whole corpora (SQLite)"),
    "serve": ("serve", "run the web app and HTTP API"),
    "train": ("train", "train the models from data (needs the 'train' extras)"),
}


def command_of(argv: list[str]) -> str | None:
    """The subcommand an argument list runs: its first argument that is not an option."""
    return next((a for a in argv if not a.startswith("-")), None)


def build_parser(command: str | None = "*") -> argparse.ArgumentParser:
    """The ``spinscope`` parser; with a ``command``, only that one is built in full ("*": all)."""
    parser = argparse.ArgumentParser(prog="spinscope", description="See how a text tries to persuade.")
    parser.add_argument("--version", action="version", version=f"spinscope {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module, helptext) in COMMANDS.items():
        if command in ("*", name):
            importlib.import_module(f"{__name__}.{module}").add_parser(sub)
        else:
            sub.add_parser(name, help=helptext)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(command_of(argv))
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        err("interrupted")
        return 130
    except BrokenPipeError:  # the reader went away (`| head`): what is left goes nowhere, quietly
        stdout_to_devnull()
        return 0
    except OutputError as e:
        err(str(e))
        return 2
    except OSError as e:  # a write that failed midway: a full disk, /dev/full, a lost network drive
        err(f"{e.filename}: {e.strerror or e}" if e.filename else f"cannot write the output ({e.strerror or e})")
        stdout_to_devnull()
        return 2


def run() -> int:
    """The console entry point: :func:`main` on ``sys.argv``, without PyTorch for every command
    but ``train``. The runtime never uses PyTorch; but where the training extras installed it,
    thinc (spaCy's ML library) imports it at start-up just to see whether it is there, which
    took a second of every run that loads spaCy. Hiding it from imports is safe here because
    this process is ours; :func:`main` itself (and the Python API) leaves the import system alone."""
    argv = sys.argv[1:]
    if "torch" not in sys.modules and not (argv and argv[0] == "train"):
        sys.modules["torch"] = None  # `import torch` raises ImportError, as where it is not installed
    return main(argv)

"""``python -m spinscope`` runs the ``spinscope`` command."""

import sys

from .cli import run

sys.exit(run())

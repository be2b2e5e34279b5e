"""``python -m spinscope.cli``: the same as the ``spinscope`` command."""

import sys

from . import run

sys.exit(run())

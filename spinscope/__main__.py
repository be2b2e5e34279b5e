"""``python -m spinscope`` runs the ``spinscope`` command."""

import sys

from .cli import main

sys.exit(main())

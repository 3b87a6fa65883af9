"""``python -m aegan_tutorial``: see :mod:`aegan_tutorial.cli`."""

import sys

from .cli import main

sys.exit(main())

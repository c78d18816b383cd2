"""``python -m nncore``: the command line (see ``nncore.cli``)."""

import sys

from nncore.cli import main

sys.exit(main())

"""``python -m app``: start Backprop Lab (see ``app.main``)."""

import sys

from app.main import main

if __name__ == "__main__":
    sys.exit(main())

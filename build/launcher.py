"""The packaged executable's entry script (PyInstaller needs a file, not a module)."""

import multiprocessing
import sys

if __name__ == "__main__":
    # First, before anything else runs: in a frozen app the training child process
    # re-launches this executable, and freeze_support() turns that launch into the child.
    multiprocessing.freeze_support()
    from app.main import main

    sys.exit(main())

"""``python -m ld_segments_async``: the ``ld-segments`` command line."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())

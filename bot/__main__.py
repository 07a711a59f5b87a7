"""``python -m bot`` is the ``aprity-diagnose`` command."""

import sys

from bot.terminal.cli import main

if __name__ == "__main__":
    sys.exit(main())

"""Tic-tac-toe: start the game window (``python main.py``), play scripted games headless, or serve.

The command line itself is ``ui.cli`` (so that the installed ``tictactoe`` command and
this file run the same code); ``python main.py --help`` lists every option.
"""

import sys

from ui.cli import main

if __name__ == "__main__":
    sys.exit(main())

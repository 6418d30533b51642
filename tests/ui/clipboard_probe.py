"""A real window that copies and pastes on command; tests/ui/test_clipboard.py runs it on its own X display.

Reads one JSON command a line on stdin (``{"op": "copy", "text": ...}`` or ``{"op": "paste"}``),
answers one JSON line on stdout, and pumps SDL's events in between, as the game's loop does,
so that other programs asking for the clipboard it owns get an answer. Ends when stdin closes.
"""

from __future__ import annotations

import json
import queue
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import pygame

from ui import clipboard


def _read(commands: queue.Queue[str | None]) -> None:
    for line in sys.stdin:
        commands.put(line)
    commands.put(None)


def _say(answer: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()


def main() -> int:
    pygame.display.init()
    pygame.display.set_mode((64, 64))
    commands: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_read, args=(commands,), daemon=True).start()
    _say({"driver": pygame.display.get_driver()})
    while True:
        pygame.event.pump()  # answers the X selection requests of other programs
        try:
            line = commands.get(timeout=0.02)
        except queue.Empty:
            continue
        if line is None:
            break
        command = json.loads(line)
        if command["op"] == "copy":
            answer: dict[str, object] = {"copied": clipboard.copy(command["text"])}
        else:
            answer = {"text": clipboard.paste()}
        _say(answer)
    pygame.display.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())

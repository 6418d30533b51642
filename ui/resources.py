"""Where the game's assets (sounds, icon, fonts) are, wherever the game runs from.

Three layouts, one answer: a source checkout keeps them in the repository's top-level
``assets/`` folder; the wheel and the one-file build place the same folder inside this
package as ``ui/assets`` (``pyproject.toml``'s force-include, ``packaging/build.py``).
Neither depends on the working directory. Imports nothing but the standard library.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_HERE = Path(__file__).resolve().parent
INSTALLED_ASSETS = _HERE / "assets"  # the wheel's and the one-file build's place
CHECKOUT_ASSETS = _HERE.parent / "assets"  # the repository's folder, beside ui/


@cache
def assets_dir() -> Path:
    """The folder holding ``icon.png``, the sounds and ``fonts/``: the installed copy if there is one, else the checkout's."""
    if (INSTALLED_ASSETS / "icon.png").is_file():
        return INSTALLED_ASSETS
    return CHECKOUT_ASSETS

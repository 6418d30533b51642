"""The player's language: gettext catalogues made with Babel, the system's language by default, and a setting over it.

HOW SCREENS TRANSLATE (a note for everyone who writes a screen; the language can change while screens are open):

* Text made while drawing (a property that ``paint``/``draw`` reads, a footer, a title drawn
  each frame): wrap the English in ``_()`` right there, ``ngettext(one, many, n)`` for every
  count ("1 game", "2 games"; seconds, wins...). It is looked up on every frame, so it
  follows a language change at the next frame.
* Text kept in an object made once (a ``Button``'s label, caption or hint, a ``TextField``'s
  placeholder, a ``NoticeScreen``'s or ``ChoiceScreen``'s title and message, a ``Choice``, a
  board ``Notice``): give it ``L_("English")``, ``L_("{name} left", name=name)``,
  ``Ln_(one, many, n)``, or ``later(function)`` for text put together from several parts.
  The object keeps that and shows ``shown(text)`` when it draws, so it is translated then. A
  plain ``str`` is kept as it is (a player's name, a code, an address): never pass
  English prose as a plain str to such an object.
* Constants in tables at module level: mark them ``N_("English")`` and translate where
  shown, ``_(TABLE[key])``; a plural pair in a table is ``Nn_(one, many)`` (two ``N_`` would
  be two unrelated messages that ``ngettext`` never finds).
* Text that comes from ``game``/``net`` (a ``game.phrase.Phrase``, an ``InvalidInput``'s
  message, a ``Failure``'s message): ``say(text)`` where it is shown (``say_error(exc)`` for
  an exception). Their sentences are marked there; a server's own words stay as they came.
* Put values in with named fields (``{name}``), never by joining translated pieces: word
  order differs between languages. Never translate text that was already formatted, and
  never change a translation's case (``.lower()``): German nouns keep their capitals, so a
  lowercase wording is a message of its own (ui/screens/board.py's rematch hint still does).
* ``set_language`` changes ``generation()``; ``Screen.ensure_layout`` lays a screen out
  again when it changes, so layouts measured from text follow the new language.
* For the Settings screen: ``available_languages()`` lists (code, the language's own name),
  ``language()`` is the code in use, ``set_language(code)`` (None: the system's language)
  switches at once; the App applies the profile's saved choice at start-up
  (``restore_language``; "" is the system's language).

The catalogues are ``assets/locale/<code>/LC_MESSAGES/tictactoe.po`` (the sources, written
by people who speak the language) and the ``.mo`` files compiled from them with
``pybabel compile`` (committed, so a fresh clone plays translated without Babel; a test
keeps them up to date). The template ``assets/locale/tictactoe.pot`` is made by
``pybabel extract -F babel.cfg ... .`` (the commands are in README, Translations).
At run time only the standard library's ``gettext`` reads them.
"""

from __future__ import annotations

import gettext
import locale
import logging
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import TypeAlias

from game.phrase import N_, Nn_, Phrase, fill, text_of
from ui.resources import assets_dir

__all__ = [
    "LANGUAGES",
    "L_",
    "N_",
    "Later",
    "Ln_",
    "Nn_",
    "Text",
    "_",
    "available_languages",
    "generation",
    "language",
    "later",
    "ngettext",
    "pgettext",
    "restore_language",
    "say",
    "say_error",
    "set_language",
    "shown",
    "system_languages",
]

log = logging.getLogger(__name__)

DOMAIN = "tictactoe"
SOURCE_LANGUAGE = "en"

# The languages the game speaks: the code of its catalogue and the language's own name for itself.
LANGUAGES: tuple[tuple[str, str], ...] = (
    ("en", "English"),
    ("de", "Deutsch"),
    ("es", "Español"),
    ("fr", "Français"),
    ("ja", "日本語"),
    ("pt_BR", "Português (Brasil)"),
)
_CODES = {code for code, _name in LANGUAGES}


def locale_dir() -> Path:
    """Where the catalogues are: ``<assets>/locale`` (the checkout's ``assets/``, or the installed ``ui/assets``)."""
    return assets_dir() / "locale"


# Choosing a language -------------------------------------------------------------------------


def match_language(tags: Iterable[str]) -> str | None:
    """The first of ``tags`` (POSIX ``pt_BR.UTF-8``, BCP 47 ``pt-BR``, ``de``) the game speaks, by language and region.

    A region the game has no catalogue for falls back to the language's catalogue
    (``de_AT`` -> ``de``, ``pt_PT`` -> ``pt_BR``, ``es_MX`` -> ``es``); ``C`` and ``POSIX`` are English.
    """
    for tag in tags:
        base = re.split(r"[.@]", tag.strip(), maxsplit=1)[0].replace("-", "_")
        if not base:
            continue
        if base in ("C", "POSIX"):
            return SOURCE_LANGUAGE
        parts = base.split("_")
        language_part = parts[0].lower()
        if len(parts) > 1:
            full = f"{language_part}_{parts[-1].upper()}"
            if full in _CODES:
                return full
        if language_part in _CODES:
            return language_part
        same = sorted(code for code in _CODES if code.split("_")[0] == language_part)
        if same:
            return same[0]
    return None


def _environment_languages() -> list[str]:
    """The languages the environment asks for, in gettext's order: LANGUAGE (a list), then LC_ALL, LC_MESSAGES, LANG."""
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value:
            return [part for part in value.split(":") if part]
    return []


def _windows_languages() -> list[str]:
    """The user's display language on Windows (``de_DE``), from the system's language id."""
    if sys.platform == "win32":
        import ctypes

        name = locale.windows_locale.get(ctypes.windll.kernel32.GetUserDefaultUILanguage())
        return [name] if name else []
    return []


def _macos_languages() -> list[str]:
    """The user's preferred languages on macOS, in order (``de-DE``, ``en-US``), as System Settings lists them."""
    if sys.platform == "darwin":
        try:
            done = subprocess.run(["defaults", "read", "-g", "AppleLanguages"], capture_output=True, text=True, timeout=2,
                                  check=False)
        except (OSError, subprocess.SubprocessError):
            return []
        return re.findall(r'^\s*"?([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]+)*)"?\s*,?\s*$', done.stdout, flags=re.MULTILINE)
    return []


def system_languages() -> list[str]:
    """The languages the player's system asks for, most wanted first (environment, then Windows' or macOS's own setting)."""
    return [*_environment_languages(), *_windows_languages(), *_macos_languages()]


# The translator in use -------------------------------------------------------------------------

_translation: gettext.NullTranslations = gettext.NullTranslations()
_language = SOURCE_LANGUAGE
_generation = 0


@cache
def _catalogue(code: str) -> gettext.NullTranslations:
    if code == SOURCE_LANGUAGE:
        return gettext.NullTranslations()
    try:
        return gettext.translation(DOMAIN, locale_dir(), languages=[code])
    except OSError as exc:  # a catalogue missing or damaged: the game still runs, in English
        log.warning("no %s translation (%s): English is shown", code, exc)
        return gettext.NullTranslations()


def set_language(code: str | None) -> str:
    """Speak ``code`` (one of ``LANGUAGES``), or with None the system's language (English if the game does not speak it).

    Returns the code now in use. Every screen shows the new language from its next frame.
    """
    global _translation, _language, _generation
    if code is not None and code not in _CODES:
        raise ValueError(f"no catalogue for the language {code!r}: choose one of {sorted(_CODES)}")
    chosen = code if code is not None else (match_language(system_languages()) or SOURCE_LANGUAGE)
    if chosen != _language or _generation == 0:
        _translation = _catalogue(chosen)
        _language = chosen
        _generation += 1
    return chosen


def restore_language(saved: str) -> str:
    """At start-up: speak the player's saved choice (a code, "" for the system's language); a code the game no
    longer speaks counts as "" (the saved file may come from another version). Returns the code in use."""
    return set_language(saved if saved in _CODES else None)


def language() -> str:
    """The code of the language in use."""
    return _language


def available_languages() -> list[tuple[str, str]]:
    """The languages the game speaks: (code, the language's own name), English first, then by code."""
    return list(LANGUAGES)


def generation() -> int:
    """A number that changes with every change of language (a screen lays itself out again when it does)."""
    return _generation


# Translating -------------------------------------------------------------------------------------


def _(message: str) -> str:
    """``message`` (English) in the language in use."""
    return _translation.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of ``singular``/``plural`` for ``n`` in the language in use (Japanese has one, English two)."""
    return _translation.ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """``message`` in the language in use, where the same English needs other words in ``context``."""
    return _translation.pgettext(context, message)


def say(text: str) -> str:
    """``text`` from ``game``/``net`` in the language in use: a Phrase is translated (its values too), other text stays."""
    if not isinstance(text, Phrase):
        return text
    values = {key: say(value) if isinstance(value, str) else value for key, value in text.values.items()}
    if text.plural is not None and text.number is not None:
        template = ngettext(text.template, text.plural, text.number)
    else:
        template = _(text.template)
    return fill(template, values)


def say_error(error: BaseException) -> str:
    """What ``error`` says, in the language in use (its Phrase translated; other messages as they are)."""
    return say(text_of(error))


class Later:
    """Text made when it is shown, so in the language in use then (see the note at the top)."""

    __slots__ = ("_make",)

    def __init__(self, make: Callable[[], str]):
        self._make = make

    def __str__(self) -> str:
        return self._make()

    def __repr__(self) -> str:
        return f"Later({self._make()!r})"


Text: TypeAlias = str | Later  # what a widget or a card keeps: fixed text, or text translated when shown


def later(make: Callable[[], str]) -> Later:
    """Text that ``make`` puts together each time it is shown (from ``_()``, ``say()``, names...)."""
    return Later(make)


def L_(message: str, /, **values: object) -> Later:
    """``message`` translated when shown, its ``{fields}`` filled from ``values`` (a Later value is shown then too)."""
    if values:
        return Later(lambda: _(message).format(**{k: shown(v) if isinstance(v, Later) else v for k, v in values.items()}))
    return Later(lambda: _(message))


def Ln_(singular: str, plural: str, n: int, /, **values: object) -> Later:
    """The form for ``n`` of ``singular``/``plural``, translated when shown; ``{n}`` is ``n``."""
    return Later(lambda: ngettext(singular, plural, n).format(n=n, **values))


def shown(text: Text) -> str:
    """``text`` as it is shown now: a Later made in the language in use, a str as it is."""
    return text if isinstance(text, str) else text._make()


"""Sentences for a player that are made below the UI (in game/ and net/), so the UI can say them in the player's language.

gettext's way: the English text is the key of its translation. ``N_`` marks a constant
for the extractor (``pybabel extract``, see ``babel.cfg``) and returns it unchanged; the
UI translates it where it shows it. ``Phrase`` is a sentence made from a marked
template and its values: it *is* the English ``str`` (logs, the host's answers on the
wire and the command line use it as it is, and it compares equal to that text), and it
keeps the template and the values, so ``ui.i18n.say`` translates the template and fills
the values in (a value that is itself a Phrase is translated too; ``{name:cap}`` puts a value in
with a capital first letter, for a sentence that starts with it). Text that is not a
Phrase (a name, a server's own words, an operating system's message) is shown as it is.

Pure: no I/O, nothing but the standard library.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType


def N_(message: str) -> str:
    """``message`` unchanged: marks a constant for translation (the UI translates it where it shows it)."""
    return message


def Nn_(singular: str, plural: str) -> tuple[str, str]:
    """The pair unchanged: marks a plural message kept in a table (one message with its plural, for ``ngettext``).

    Two ``N_`` calls would be two unrelated messages, and ``ngettext`` would find neither.
    """
    return singular, plural


class Phrase(str):
    """An English sentence for a player that remembers the template and the values it was made from.

    ``template`` (``plural`` for a count other than one, as ``ngettext`` chooses) has
    ``{name}`` fields filled from ``values``; a counted phrase has its count as ``{n}``.
    """

    template: str
    plural: str | None
    number: int | None  # the count of a counted phrase
    values: Mapping[str, object]

    def __new__(cls, template: str, /, **values: object) -> Phrase:
        return cls._made(template, None, None, values)

    @classmethod
    def _made(cls, template: str, plural: str | None, count: int | None, values: Mapping[str, object]) -> Phrase:
        english = plural if plural is not None and count != 1 else template
        self = super().__new__(cls, fill(english, values))
        self.template = template
        self.plural = plural
        self.number = count
        self.values = MappingProxyType(dict(values))
        return self

    def __repr__(self) -> str:
        return f"Phrase({str(self)!r})"

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (self.template, self.plural, self.number, dict(self.values)))


def _rebuild(template: str, plural: str | None, count: int | None, values: dict[str, object]) -> Phrase:
    return Phrase._made(template, plural, count, values)


class _Value(str):
    """A text value put into a template: ``{name:cap}`` puts it in with its first letter in capitals."""

    def __format__(self, spec: str) -> str:
        if spec == "cap":
            return self[:1].upper() + self[1:]
        return format(str(self), spec)


def fill(template: str, values: Mapping[str, object]) -> str:
    """``template`` with its ``{fields}`` filled from ``values`` (``{name:cap}``: the value with a capital first letter)."""
    if not values:
        return template
    return template.format(**{key: _Value(value) if isinstance(value, str) else value for key, value in values.items()})


def counted_phrase(singular: str, plural: str, n: int, /, **values: object) -> Phrase:
    """A Phrase about ``n`` things, in the form English uses for ``n`` (``{n}`` in the templates is ``n``)."""
    return Phrase._made(singular, plural, n, {"n": n, **values})


def text_of(error: BaseException) -> str:
    """What ``error`` says: the Phrase it was raised with (so it can be translated), else its ``str()``."""
    if len(error.args) == 1 and isinstance(error.args[0], Phrase):
        return error.args[0]
    return str(error)

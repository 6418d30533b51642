"""Languages: every text a player reads is marked for translation, every catalogue is complete and compiled, and
every screen in every language fits the smallest window.

The marks are read two ways. Babel extracts the catalogue's messages from the source as
``pybabel extract`` does (babel.cfg); the committed template and every language's ``.po``
must hold exactly those, each translated (every plural form), with the same
placeholders and key-hint separators as the English, in characters the shipped fonts
draw, and the committed ``.mo`` must be what the ``.po`` compiles to. And an AST scan of
ui/ finds English that reaches a player without a mark: a string literal handed to
something that draws or keeps text for the screen (a button, a card, a footer...), or
any literal that reads like a sentence or a label (a capital and small letters), unless
it is a docstring, a log line, a key, a comparison or one of the few named exceptions
below, each with its reason.
"""

from __future__ import annotations

import ast
import io
import re
import string
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from game.phrase import Phrase, fill
from net.limits import InvalidInput, check_friend_code, normalize_name
from tests.ui.screencheck import look_at
from tests.ui.screens_catalogue import LONG_LATIN, SCREENS
from ui import i18n, theme
from ui.pilot import Pilot
from ui.text import can_draw
from ui.widgets import Button

REPO = Path(__file__).resolve().parents[2]
LOCALE = REPO / "assets" / "locale"
TRANSLATED = [code for code, _name in i18n.LANGUAGES if code != i18n.SOURCE_LANGUAGE]
SEPARATOR = "  ·  "  # between key hints (ui.screens.base.FOOTER_SEPARATOR) and the parts of a status line
MARKING_CALLS = {"_", "N_", "Nn_", "L_", "Ln_", "ngettext", "pgettext", "Phrase", "counted_phrase"}


@pytest.fixture(autouse=True)
def _english_afterwards() -> Iterator[None]:
    yield
    i18n.set_language(i18n.SOURCE_LANGUAGE)


# What Babel extracts ---------------------------------------------------------------------------------------------


def extracted() -> dict[str | tuple[str, str], list[str]]:
    """The messages ``pybabel extract -F babel.cfg .`` finds, with the files they are in."""
    with (REPO / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: dict[str | tuple[str, str], list[str]] = {}
    for filename, _line, message, _comments, _context in extract_from_dir(str(REPO), method_map, options_map,
                                                                          comment_tags=("TRANSLATORS:",)):
        key = message if isinstance(message, str) else tuple(message[:2])
        found.setdefault(key, []).append(filename)
    return found


@pytest.fixture(scope="module")
def messages() -> dict[str | tuple[str, str], list[str]]:
    return extracted()


def catalogue(path: Path) -> Catalog:
    with path.open("rb") as f:
        return read_po(f)


def keys(cat: Catalog) -> set[str | tuple[str, str]]:
    return {m.id if isinstance(m.id, str) else (m.id[0], m.id[1]) for m in cat if m.id}


def test_the_template_holds_what_the_source_marks(messages: dict[str | tuple[str, str], list[str]]) -> None:
    template = keys(catalogue(LOCALE / "tictactoe.pot"))
    assert sorted(map(str, set(messages) - template)) == [], "marked, not in the template: run pybabel extract (README)"
    assert sorted(map(str, template - set(messages))) == [], "in the template, no longer marked: run pybabel extract"


# Every catalogue complete, consistent and compiled ---------------------------------------------------------------


def fields(text: str) -> list[str]:
    """The ``{placeholders}`` of ``text`` as written (name, conversion and format), sorted."""
    return sorted(f"{name}!{conversion}:{spec}" for _literal, name, spec, conversion in string.Formatter().parse(text)
                  if name is not None)


SAMPLE = {"n": 2, "seconds": 3.5, "port": 7350, "size": 1024, "first": 7350, "last": 7352, "low": 4, "high": 6,
          "attempt": 2, "step": 3, "theirs": 1, "mine": 2, "draws": 0, "wins": 1, "losses": 2, "day": 3, "year": 2025}


def sample(text: str) -> str:
    """``text`` with its placeholders filled (numbers where numbers go, words elsewhere), as the game fills them."""
    values = {name: SAMPLE.get(name, "Ann") for _l, name, _s, _c in string.Formatter().parse(text) if name}
    return fill(text, values)


@pytest.mark.parametrize("code", TRANSLATED)
def test_a_catalogue_translates_every_message_with_its_placeholders(
        code: str, messages: dict[str | tuple[str, str], list[str]]) -> None:
    cat = catalogue(LOCALE / code / "LC_MESSAGES" / "tictactoe.po")
    assert str(cat.locale).replace("-", "_") == code
    assert sorted(map(str, set(messages) - keys(cat))) == [], f"{code}: not in the catalogue: pybabel update, translate"
    assert sorted(map(str, keys(cat) - set(messages))) == [], f"{code}: no longer in the game: run pybabel update"
    problems: list[str] = []
    for m in cat:
        if not m.id:
            continue
        english = [m.id] if isinstance(m.id, str) else list(m.id)
        forms = [m.string] if isinstance(m.string, str) else list(m.string)
        if m.fuzzy:
            problems.append(f"{m.id!r} is marked fuzzy")
        if not isinstance(m.id, str) and len(forms) != cat.num_plurals:
            problems.append(f"{m.id!r} has {len(forms)} plural forms, {code} has {cat.num_plurals}")
        for form in forms:
            if not form.strip():
                problems.append(f"{m.id!r} is not translated")
                continue
            if fields(form) != fields(english[-1]):
                problems.append(f"{m.id!r}: placeholders {fields(form)} instead of {fields(english[-1])}")
            elif form.count(SEPARATOR) != english[-1].count(SEPARATOR):
                problems.append(f"{m.id!r}: {form.count(SEPARATOR)} key-hint separators '  ·  ' instead of "
                                f"{english[-1].count(SEPARATOR)}")
            else:
                sample(form)  # formats as the game formats it
            if not can_draw(form):
                problems.append(f"{m.id!r}: {form!r} has a character no shipped font draws")
    assert problems == []


@pytest.mark.parametrize("code", TRANSLATED)
def test_the_compiled_catalogue_is_the_one_the_po_file_makes(code: str) -> None:
    po = LOCALE / code / "LC_MESSAGES" / "tictactoe.po"
    compiled = io.BytesIO()
    write_mo(compiled, catalogue(po))
    assert po.with_suffix(".mo").read_bytes() == compiled.getvalue(), "run pybabel compile (README, Translations)"


def test_french_puts_a_non_breaking_space_before_double_punctuation_and_inside_guillemets() -> None:
    cat = catalogue(LOCALE / "fr" / "LC_MESSAGES" / "tictactoe.po")
    texts = [form for m in cat if m.id for form in ([m.string] if isinstance(m.string, str) else m.string)]
    assert any("\u00a0:" in t for t in texts) and any("\u00a0?" in t for t in texts)
    assert [t for t in texts if re.search(r"[^\u00a0\u202f][:;!?](\s|$)", t) or re.search(r"«[^\u00a0]|[^\u00a0]»", t)] == []


def test_plural_rules_follow_each_language() -> None:
    forms = {code: catalogue(LOCALE / code / "LC_MESSAGES" / "tictactoe.po").num_plurals for code in TRANSLATED}
    assert forms == {"de": 2, "es": 2, "fr": 2, "ja": 1, "pt_BR": 2}
    moves = [("de", 1, "1 Zug"), ("de", 2, "2 Züge"), ("fr", 0, "0 coup"), ("fr", 2, "2 coups"), ("pt_BR", 1, "1 jogada"),
             ("pt_BR", 5, "5 jogadas"), ("es", 0, "0 jugadas"), ("ja", 1, "1手"), ("ja", 7, "7手"), ("en", 1, "1 move"),
             ("en", 0, "0 moves")]
    for code, n, expected in moves:
        i18n.set_language(code)
        assert i18n.ngettext("{n} move", "{n} moves", n).format(n=n) == expected, code


# Marked in the source --------------------------------------------------------------------------------------------

# Calls that draw text, or keep it for a screen to draw: a str literal given to them is English a player reads.
TEXT_SINKS = {
    "render", "text", "fitted", "fit", "fit_line", "line", "draw_footer", "draw_lines", "draw_pill", "draw_field",
    "draw_form_card", "wrap_text", "Button", "TextField", "NoticeScreen", "ErrorScreen", "ChoiceScreen", "ConfirmScreen",
    "MatchEndedScreen", "NetErrorScreen", "Choice", "MenuEntry", "Notice", "Toast", "say", "refuse", "match_ended",
    "server_closed", "opponent_left", "play_on_choices",
}
# Files whose texts are not on the game's screens.
NOT_ON_SCREEN = {
    "ui/cli.py": "the command line: its help and errors are printed on the terminal, in English like its options",
    "ui/launch.py": "start-up errors printed on the terminal before any window opens",
    "ui/pilot.py": "the test pilot's own assertion messages",
    "ui/i18n.py": "language names are each written in its own language; the rest is code",
}
# Literals that look like words but are not English for a player.
NOT_PROSE = {
    ("ui/screens/menu.py", "Tic"), ("ui/screens/menu.py", "Tac"), ("ui/screens/menu.py", "Toe"),  # the logo: the game's name
    ("ui/theme.py", "Tic-Tac-Toe"),  # the game's name, in the window's title bar
    ("ui/text.py", "Arab"), ("ui/text.py", "Hebr"),  # ISO 15924 script codes for the shaper
    ("ui/records.py", "Player"),  # the name a new profile starts with: data the player replaces, not a label
    ("ui/controller.py", "You"),  # a default argument every caller overrides with the profile's name
    ("ui/clipboard.py", "SDL2"),  # a library's name
}


def _call_name(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _literals(node: ast.AST) -> Iterator[ast.Constant]:
    yield from (n for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str))


class _Scan:
    """One file's string literals: which are exempt (marked, docstrings, logs, keys...) and which are handed to a sink."""

    QUIET_CALLS = frozenset({"getLogger", "getenv", "get", "setdefault", "import_module", "stuck"})

    def __init__(self, tree: ast.AST):
        self.exempt: set[int] = set()
        self.sunk: list[ast.AST] = []
        for node in ast.walk(tree):
            self._docstring(node)
            if isinstance(node, ast.Call):
                self._call(node)
            elif isinstance(node, ast.Assign):
                self._assign(node)
            elif isinstance(node, ast.FunctionDef) and node.name == "__repr__":
                self.skip(node)  # for logs and tests
            elif isinstance(node, (ast.Compare, ast.Subscript)):
                self.skip(node.slice if isinstance(node, ast.Subscript) else node)  # keys and comparisons
            elif isinstance(node, ast.Raise) and node.exc is not None and not _raises_for_a_player(node.exc):
                self.skip(node.exc)  # a programming error, for the log
            elif isinstance(node, ast.Dict):
                for key in node.keys:
                    if key is not None:
                        self.skip(key)

    def skip(self, node: ast.AST) -> None:
        self.exempt.update(id(n) for n in _literals(node))

    def _docstring(self, node: ast.AST) -> None:
        body = getattr(node, "body", None)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and body and \
                isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            self.exempt.add(id(body[0].value))
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            self.exempt.add(id(node.value))  # an attribute's docstring

    def _call(self, call: ast.Call) -> None:
        name = _call_name(call)
        logged = isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name) and call.func.value.id == "log"
        for keyword in call.keywords:
            if keyword.arg == "stuck":
                self.skip(keyword.value)  # the line a scripted run prints on the terminal when it stops
        if name in MARKING_CALLS or logged or name in self.QUIET_CALLS:
            self.skip(call)
        elif name in TEXT_SINKS:
            self.sunk.extend([*call.args, *(k.value for k in call.keywords if k.arg not in ("style", "light", "name", "stuck"))])

    def _assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            if isinstance(target, ast.Name) and target.id in ("stuck", "__all__"):
                self.skip(node.value)  # a scripted run's last line (App.stuck), or a module's names
            elif isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                for name, value in zip(target.elts, node.value.elts, strict=False):
                    if isinstance(name, ast.Name) and name.id == "stuck":
                        self.skip(value)


def _unmarked(path: Path) -> Iterator[tuple[int, str]]:
    """The literals of ``path`` that read like English for a player and are not inside a marking call."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    scan = _Scan(tree)
    reported: set[int] = set()
    for arg in scan.sunk:  # anything with letters handed to a text sink must be marked
        for n in _literals(arg):
            if id(n) not in scan.exempt and id(n) not in reported and sum(c.isalpha() for c in n.value) >= 2:
                reported.add(id(n))
                yield n.lineno, n.value
    for n in _literals(tree):  # elsewhere, what reads like a label or a sentence
        if id(n) not in scan.exempt and id(n) not in reported and _prose(n.value):
            yield n.lineno, n.value


def _raises_for_a_player(exc: ast.expr) -> bool:
    """``raise ValueError(...)`` / ``InvalidInput(...)`` is a refusal a form shows; other exceptions are errors of the code."""
    func = exc.func if isinstance(exc, ast.Call) else None
    name = func.id if isinstance(func, ast.Name) else ""
    return name in ("ValueError", "InvalidInput")


def _prose(text: str) -> bool:
    """A label or a sentence: a capital then small letters, not a file, a module or an identifier."""
    words = text.split()
    if not words or (len(words) == 1 and re.search(r"[._/\d]|[a-z][A-Z]", text)):
        return False
    return bool(re.search(r"(?<![\w.])[A-Z][a-z]", text))


def test_every_text_a_player_reads_in_ui_is_marked_for_translation() -> None:
    found = []
    for path in sorted((REPO / "ui").rglob("*.py")):
        where = path.relative_to(REPO).as_posix()
        if where in NOT_ON_SCREEN:
            continue
        found.extend(f"{where}:{line}: {text!r}" for line, text in _unmarked(path) if (where, text) not in NOT_PROSE)
    assert found == [], "mark these with _(), L_() or N_() (ui/i18n.py says which), or name why they are not for a player"


def test_the_scan_sees_unmarked_text_where_it_would_be_drawn(tmp_path: Path) -> None:
    sample_file = tmp_path / "screen.py"
    sample_file.write_text(
        'def paint(canvas, fonts, _, L_):\n'
        '    canvas.text("Hello there", 1, 2, 3)\n'
        '    Button(L_("Marked"), None, hint="Enter")\n'
        '    label = "Quit"\n'
        '    fonts.render(f"{3} moves", 20)\n'
        '    canvas.text(_("Marked too"), 1, 2, 3)\n'
        '    log.info("Not for players %s", 3)\n'
        '    raise ValueError("Type your name.")\n'
    )
    assert sorted(text for _line, text in _unmarked(sample_file)) == sorted(
        ["Hello there", "Enter", " moves", "Quit", "Type your name."])


def test_every_marking_call_in_the_source_is_one_babel_extracts(messages: dict[str | tuple[str, str], list[str]]) -> None:
    """A _() inside an f-string, or on a value, is invisible to the extractor: every literal one must be in the catalogue."""
    missed = []
    for folder in ("game", "net", "ui"):
        for path in sorted((REPO / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in MARKING_CALLS
                        and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                    continue
                first = node.args[0].value
                key: str | tuple[str, str] = first
                if node.func.id in ("ngettext", "Ln_", "counted_phrase", "Nn_") and isinstance(node.args[1], ast.Constant):
                    key = (first, str(node.args[1].value))
                if node.func.id == "pgettext":
                    continue  # (context, message): none in the game yet
                if key not in messages:
                    missed.append(f"{path.relative_to(REPO)}:{node.lineno}: {key!r}")
    assert missed == []


# Speaking a language -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("tags", "expected"), [
    (["de_AT.UTF-8"], "de"), (["pt_PT"], "pt_BR"), (["pt-BR"], "pt_BR"), (["es_MX"], "es"), (["ja_JP.eucJP"], "ja"),
    (["zh_CN", "fr_CA"], "fr"), (["C"], "en"), (["en_GB"], "en"), (["zh_TW"], None), ([], None),
])
def test_the_system_language_is_matched_to_a_catalogue(tags: list[str], expected: str | None) -> None:
    assert i18n.match_language(tags) == expected


def test_the_system_language_is_the_default_and_the_environment_says_which(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    assert i18n.set_language(None) == "fr" and i18n._("Quit") == "Quitter"
    monkeypatch.setenv("LANGUAGE", "ko:ja")  # gettext's list: the first the game speaks
    assert i18n.set_language(None) == "ja"
    monkeypatch.setenv("LANGUAGE", "ko")
    monkeypatch.setenv("LANG", "ko_KR.UTF-8")
    assert i18n.set_language(None) == "en" and i18n._("Quit") == "Quit"
    assert i18n.restore_language("de") == "de" and i18n.restore_language("xx") == "en"  # a saved code no longer spoken
    with pytest.raises(ValueError, match="no catalogue"):
        i18n.set_language("xx")


def test_a_language_change_shows_at_once_on_what_was_made_before(pilot: Pilot) -> None:
    menu = pilot.screen
    assert "Quit" in menu.button_labels
    before = i18n.generation()
    i18n.set_language("de")
    assert i18n.generation() != before
    assert "Beenden" in menu.button_labels and pilot.caption("Leicht") == "S 0  ·  N 0  ·  U 0"
    kept = Button(i18n.L_("Join"), lambda: None, hint=i18n.L_("Esc"))
    i18n.set_language("fr")
    assert (kept.label, kept.hint) == ("Rejoindre", "Échap")
    pilot.step()  # the next frame lays the menu out again for the new words and draws them
    assert menu._layout_language == i18n.generation()


def test_sentences_made_below_the_ui_are_said_in_the_players_language() -> None:
    with pytest.raises(InvalidInput) as refused:
        check_friend_code("O0I1")
    said = refused.value.args[0]
    assert isinstance(said, Phrase) and said.startswith("A code has no 0 1 I O:")  # English for logs and the host
    i18n.set_language("de")
    assert i18n.say_error(refused.value).startswith("Ein Code enthält kein 0 1 I O:")
    with pytest.raises(InvalidInput) as long_name:
        normalize_name("x" * 40)
    assert i18n.say_error(long_name.value) == "Ein Name hat höchstens 20 Zeichen."
    assert i18n.say("the server's own words") == "the server's own words"  # not ours: shown as they came


# Every screen in every language --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_pilot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pilot]:
    with Pilot.launch(data_dir=tmp_path_factory.mktemp("data"), size=theme.MIN_SIZE) as pilot:
        yield pilot


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_screen_fits_its_text_in_every_language_at_the_smallest_window(small_pilot: Pilot, code: str) -> None:
    i18n.set_language(code)
    problems: list[str] = []
    for label, make in SCREENS.items():
        drawing = look_at(make(small_pilot.app, LONG_LATIN), theme.MIN_SIZE)
        problems.extend(f"{code} {label}: {p}" for p in drawing.problems())
        untranslated = [t.text for t in drawing.shown if t.text in ENGLISH_ONLY_IF_UNTRANSLATED]
        problems.extend(f"{code} {label}: {t!r} is shown in English" for t in untranslated)
    assert problems == []


# Labels every screen set shows somewhere, whose translation differs in every language: seen in English, they were missed.
ENGLISH_ONLY_IF_UNTRANSLATED = {"Back", "Quit", "Cancel", "Leave", "Rematch", "History", "Your turn", "Join"}


@pytest.mark.parametrize("code", ["ja", "de"])
def test_the_boards_fit_the_longest_languages_at_the_largest_text_size(small_pilot: Pilot, code: str) -> None:
    # Japanese and German run longest; at 150 % the small labels (the draws' box) are the tightest.
    i18n.set_language(code)
    theme.set_text_size(150)
    problems: list[str] = []
    try:
        for label in ("bot-board", "net-board", "net-board-claim", "net-board-reactions"):
            drawing = look_at(SCREENS[label](small_pilot.app, LONG_LATIN), theme.MIN_SIZE)
            problems.extend(f"{code} {label}: {p}" for p in drawing.problems())
    finally:
        theme.set_text_size(100)
    assert problems == []

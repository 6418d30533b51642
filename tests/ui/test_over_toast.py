"""A move tried once the game is over says what the end-of-game button offers: 'Play again' against the bot."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from game.bot import Level
from tests.ui.matchstates import WIN, online, played, state
from ui import i18n
from ui.boardmodel import BoardModel
from ui.results import GameMode


@pytest.fixture
def english() -> Iterator[None]:
    yield
    i18n.set_language(i18n.SOURCE_LANGUAGE)


def test_a_move_after_a_bot_game_points_at_play_again_and_after_a_person_at_the_rematch(english) -> None:
    bot = BoardModel(mode=GameMode.BOT, level=Level.EASY)
    state(bot, played(WIN))
    assert bot.place(3, 3) is None
    assert bot.toast_text == "This game is over: Play again" == f"This game is over: {bot.rematch_label}"
    i18n.set_language("de")
    assert bot.toast_text == f"{i18n._('This game is over')}: {bot.rematch_label}"
    assert "Revanche" not in str(bot.toast_text)
    i18n.set_language(i18n.SOURCE_LANGUAGE)
    person = online()
    state(person, played(WIN))
    assert person.place(3, 3) is None and person.toast_text == "This game is over: Rematch or leave"

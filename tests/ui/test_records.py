"""The values in the player's files and their JSON: a damaged field falls back alone, results add up by mode."""

from __future__ import annotations

import logging

from game.bot import Level
from game.rules import Mark, Result
from ui.records import STATS_VERSION, Profile, StatsFile, Tally
from ui.results import GameMode, GameSummary


def summary(mode: GameMode, result: Result | None, level: Level | None = None) -> GameSummary:
    return GameSummary(mode, level, Mark.CROSS, result, (), Mark.CROSS)


def test_a_profile_keeps_its_good_fields_and_defaults_the_others(caplog) -> None:
    with caplog.at_level(logging.WARNING):
        profile = Profile.from_json({"device_id": "d" * 12, "name": "  " + "N" * 30, "muted": 1, "ca_file": ""})
    assert profile == Profile(device_id="d" * 12, name="N" * 20, ca_file="")
    assert any("'muted'" in r.getMessage() for r in caplog.records)
    assert Profile.from_json(profile.to_json()) == profile
    assert Profile.from_json({}).device_id != Profile.from_json({}).device_id, "a missing id is a fresh one"


def test_the_settings_in_a_profile_are_kept_and_a_value_the_game_does_not_offer_is_defaulted(caplog) -> None:
    chosen = Profile(device_id="d" * 12, language="de", theme="high-contrast", text_size=150, muted=True, cue_sounds=False)
    assert Profile.from_json(chosen.to_json()) == chosen
    with caplog.at_level(logging.WARNING):
        odd = Profile.from_json({"device_id": "d" * 12, "theme": "purple", "text_size": 140, "cue_sounds": "no",
                                 "language": 3})
    assert (odd.theme, odd.text_size, odd.cue_sounds, odd.language) == ("dark", 100, True, "")
    assert {"'theme'", "'text_size'", "'cue_sounds'", "'language'"} <= {r.getMessage().split()[2] for r in caplog.records}
    assert Profile.from_json({"device_id": "d" * 12, "text_size": True}).text_size == 100, "a flag is not a size"


def test_the_profile_offers_the_themes_and_text_sizes_the_look_has() -> None:
    from ui import records, theme

    assert tuple(theme.PALETTES) == records.THEMES and records.TEXT_SIZES == theme.TEXT_SIZES


def test_a_tally_counts_each_result_and_reads_only_whole_counts() -> None:
    tally = Tally().add(Result.WIN).add(Result.WIN).add(Result.LOSS).add(Result.DRAW)
    assert tally == Tally(wins=2, losses=1, draws=1) and tally.games == 4
    assert Tally.from_json(tally.to_json()) == tally
    assert Tally.from_json({"wins": True, "losses": -1, "draws": 2.0}) == Tally()
    assert Tally.from_json("nonsense") == Tally()


def test_the_stats_count_by_level_and_mode_and_round_trip() -> None:
    stats = StatsFile()
    for game in (
        summary(GameMode.BOT, Result.WIN, Level.PERFECT),
        summary(GameMode.BOT, Result.LOSS, Level.EASY),
        summary(GameMode.LAN, Result.DRAW),
        summary(GameMode.ONLINE, Result.WIN),
        summary(GameMode.ONLINE, None),  # watched, not played: not counted
    ):
        stats.count(game)
    assert stats.bot[Level.PERFECT] == Tally(wins=1) and stats.bot[Level.EASY] == Tally(losses=1)
    assert stats.by_mode() == {
        GameMode.BOT: Tally(wins=1, losses=1), GameMode.LAN: Tally(draws=1), GameMode.ONLINE: Tally(wins=1),
    }
    written = stats.to_json()
    assert written["version"] == STATS_VERSION and set(written["bot"]) == {"easy", "normal", "perfect"}
    assert StatsFile.from_json(written) == stats


def test_stats_without_per_level_results_count_from_zero(caplog) -> None:
    with caplog.at_level(logging.WARNING):
        stats = StatsFile.from_json({"bot": [1, 2], "lan": {"wins": 3}})
    assert stats.bot == {level: Tally() for level in Level} and stats.lan == Tally(wins=3)
    assert any("no per-level results" in r.getMessage() for r in caplog.records)

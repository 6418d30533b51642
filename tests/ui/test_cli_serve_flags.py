"""The command line of ``--serve`` describes the HostConfig the host runs with."""

from __future__ import annotations

import pytest

from net.host.serve import config_from_args, fill_serve_defaults
from ui.cli import build_parser, main


def config_of(*argv: str):
    args = build_parser().parse_args(["--serve", *argv])
    fill_serve_defaults(args)
    return config_from_args(args)


def test_by_default_matchmade_games_are_rated_and_an_open_offer_waits_five_minutes():
    config = config_of()
    assert config.ratings and config.idle_seconds == 300


def test_unrated_and_idle_seconds_reach_the_host():
    config = config_of("--unrated", "--idle-seconds", "45")
    assert not config.ratings and config.idle_seconds == 45
    assert config_of("--idle-seconds", "0").idle_seconds is None, "0: the offer waits as long as both stay"


def test_the_new_flags_are_refused_without_serve(capsys):
    for argv in (["--unrated"], ["--idle-seconds", "5"]):
        with pytest.raises(SystemExit) as exited:
            main(argv)
        assert exited.value.code == 2
        assert "--serve" in capsys.readouterr().err

"""Every finished game lands in the host's SQLite database, before anyone hears the result."""

from __future__ import annotations

import json
import logging
import sqlite3

from game.match import GameRecord
from game.rules import Termination
from game.xoxo import Presence
from net.host.store import DB_FILE, GameStore, account_write, game_write
from net.limits import name_key

WIN = [(1, 1), (2, 1), (1, 2), (2, 2), (1, 3)]
DRAW = [(1, 1), (1, 2), (1, 3), (2, 2), (3, 2), (2, 1), (2, 3), (3, 3), (3, 1)]


async def play(p1, p2, moves, first=1):
    players = {1: p1, 2: p2}
    turn = first
    for row, col in moves:
        await players[turn].move(row, col)
        v1, v2 = await p1.state(), await p2.state()
        turn = v1.board.to_move
    return v1, v2


def rows(data_dir):
    db = sqlite3.connect(data_dir / DB_FILE)
    db.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in db.execute("SELECT * FROM games ORDER BY game")]
    finally:
        db.close()


def test_every_finished_game_is_recorded_and_kept_after_stop(host_factory, host_client):
    host = host_factory(rematch_seconds=None)

    async def scenario():
        p1, p2 = await host_client.pair(host.port)
        await play(p1, p2, WIN)
        await p1.rematch()
        await p2.rematch()
        for p in (p1, p2):
            while (await p.state()).game != 2:  # skipping the states that showed who asked
                pass
        await play(p1, p2, DRAW, first=2)
        return p1, p2

    p1, p2 = host_client.run(scenario())
    assert host.stats().games_recorded == 2
    host.stop()
    games = rows(host.data_dir)
    assert len(games) == 2
    win, draw = games
    assert win["match_id"] == p1.match_id and win["game"] == 1
    assert (win["player1_id"], win["player1_name"]) == (p1.user_id, "ann")
    assert (win["player2_id"], win["player2_name"]) == (p2.user_id, "bob")
    assert win["first"] == 1 and win["winner"] == 1 and win["termination"] == "line"
    assert json.loads(win["moves"]) == [[1, 1, 1], [2, 1, 2], [1, 2, 1], [2, 2, 2], [1, 3, 1]]
    assert json.loads(win["line"]) == [[1, 1], [1, 2], [1, 3]]
    assert win["started_at"] <= win["ended_at"]
    assert draw["game"] == 2 and draw["first"] == 2 and draw["winner"] is None
    assert draw["termination"] == "draw" and draw["line"] is None and len(json.loads(draw["moves"])) == 9


def test_a_forfeit_is_recorded(host_factory, host_client):
    host = host_factory(manual_clock=True, turn_seconds=30)

    async def scenario():
        p1, _p2 = await host_client.pair(host.port)
        await host.elapse(30)
        assert (await p1.state()).termination is Termination.TIMEOUT

    host_client.run(scenario())
    host.stop()
    (game,) = rows(host.data_dir)
    assert game["termination"] == "timeout" and game["winner"] == 2 and json.loads(game["moves"]) == []


def test_a_dropped_table_is_made_again_and_the_game_kept(running_host, host_client, caplog):
    caplog.set_level(logging.INFO, logger="net.host")
    db = sqlite3.connect(running_host.data_dir / DB_FILE)
    db.execute("DROP TABLE games")
    db.close()

    async def scenario():
        p1, p2 = await host_client.pair(running_host.port)
        v1, v2 = await play(p1, p2, WIN)
        assert v1.result == "win" and v2.result == "loss"
        await p1.move(3, 3)  # the match goes on
        assert (await p1.rejected())[0] == "game_over"

    host_client.run(scenario())
    stats = running_host.stats()
    assert stats.record_failures == 0 and stats.games_recorded == 1
    running_host.stop()
    assert len(rows(running_host.data_dir)) == 1
    trouble = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(trouble) == 2, trouble  # one line when writes start failing, one when they resume
    assert "no such table: games" in trouble[0] and "resumed" in trouble[1]


def test_device_ids_are_never_stored_or_logged(running_host, host_client, caplog):
    caplog.set_level(logging.DEBUG, logger="net.host")
    device = "secret-device-id-5f2b9c"

    async def scenario():
        c = await host_client.connect(running_host.port, "ann", device_id=device)
        await c.sync()

    host_client.run(scenario())
    running_host.stop()
    assert device not in caplog.text
    for f in running_host.data_dir.iterdir():
        assert device.encode() not in f.read_bytes(), f.name


def _game(match_id: str, game: int, names=("ann", "bob")) -> GameRecord:
    p1, p2 = Presence("u1", "s1", names[0]), Presence("u2", "s2", names[1])
    return GameRecord(match_id, game, (p1, p2), 1, ((2, 2, 1),), 1, Termination.OPPONENT_LEFT, None, 10.0, 12.0)


def test_store_writes_rows_in_order_and_a_game_written_twice_is_one_row():
    store = GameStore(None)
    rec = _game("m.host", 1)
    assert store.write([game_write(rec), game_write(rec), account_write("u1", "ann", 1.0)]) == []
    (game,) = store.games()
    assert game["moves"] == [[2, 2, 1]] and game["termination"] == "opponent_left" and game["line"] is None
    assert store.accounts() == {"u1": "ann"}
    refused = store.write([account_write("u2", "ANN", 2.0), account_write("u2", "bob", 2.0)])
    assert [i for i, _ in refused] == [0]  # one account per name whatever its case: the database says so too
    store.write([account_write("u1", "annie", 3.0), account_write("u2", "Ann", 3.0)])  # a rename frees the name
    assert store.accounts() == {"u1": "annie", "u2": "Ann"}
    store.close()


def test_an_old_database_gets_one_account_per_name_key(tmp_path):
    """A database from before the key: look-alikes and case variants are told apart, invalid names replaced."""
    db = sqlite3.connect(tmp_path / DB_FILE)
    db.executescript(
        "CREATE TABLE users (user_id TEXT PRIMARY KEY, username TEXT NOT NULL, created_at REAL NOT NULL,"
        " last_seen_at REAL NOT NULL);"
        "CREATE UNIQUE INDEX users_username ON users (username COLLATE NOCASE);"
        "INSERT INTO users VALUES ('u-old', 'ann', 1, 1), ('u-new', 'Ann ', 2, 5), ('u-bob', 'bob', 1, 1),"
        " ('u-wide', '\uff41\uff4e\uff4e', 1, 3), ('u-bad', 'tab\tname', 1, 1), ('u-eve', 'eve', 1, 1);"
    )
    db.commit()
    db.close()
    store = GameStore(tmp_path)
    names = store.accounts()
    assert names["u-new"] == "Ann"  # the one seen last keeps the name (normalised)
    assert names["u-wide"].startswith("ann-") and names["u-old"].startswith("ann-")
    assert names["u-bad"].startswith("Player-") and (names["u-bob"], names["u-eve"]) == ("bob", "eve")
    assert len({name_key(n) for n in names.values()}) == len(names)
    assert [i for i, _ in store.write([account_write("u-x", "\uff21\uff2e\uff2e", 1.0)])] == [0]
    store.close()
    reopened = GameStore(tmp_path)  # settled once: the second start changes nothing
    assert reopened.accounts() == names
    reopened.close()


def test_commits_leave_the_checkpoint_to_checkpoint_which_copies_the_whole_log_back(tmp_path):
    """A checkpoint inside a commit would stall the writer's batches: commits only append to the log, checkpoint() copies back."""
    store = GameStore(tmp_path)
    for game in range(1, 501):  # about 1,500 pages of log: SQLite's own checkpoint would have run at 1,000
        store.write([game_write(_game("m.host", game))])

    def games_in_the_database_file() -> int:
        """Games the database file itself holds, without its write-ahead log (read-only, as an immutable file)."""
        probe = sqlite3.connect(f"{(tmp_path / DB_FILE).as_uri()}?immutable=1", uri=True)
        try:
            if probe.execute("SELECT count(*) FROM sqlite_master WHERE name = 'games'").fetchone()[0] == 0:
                return 0  # even the table is only in the log so far
            return probe.execute("SELECT count(*) FROM games").fetchone()[0]
        finally:
            probe.close()

    assert games_in_the_database_file() == 0, "a commit copied the log back"
    store.checkpoint()
    assert games_in_the_database_file() == 500
    assert len(store.games(limit=1000)) == 500
    store.close()

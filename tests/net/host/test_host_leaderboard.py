"""The host's leaderboard listings, checked against Nakama's own steps written as plain SQL-like filters.

``net.host.leaderboard`` walks a sorted index with binary searches; the reference below
follows ``core_leaderboard.go`` literally (filter by the cursor's key, sort, LIMIT n + 1,
swap cursors on a previous page, the haystack's two halves) over a plain list. Both must
give the same records, ranks and cursors for every board, limit and starting point.
"""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from game.rating import Rating
from game.standing import Standing
from net.host.leaderboard import Cursor, list_records, records_around
from net.host.rating_store import RatingBook, RatingEntry, entries_from, rating_write


class Sink:
    def __init__(self) -> None:
        self.writes = []

    def submit(self, write, done=None) -> None:
        self.writes.append(write)
        if done is not None:
            done()


def entry(n: int, score: int, games: int) -> RatingEntry:
    uid = f"00000000-0000-4000-8000-{n:012d}"
    return RatingEntry(uid, f"p{n}", Standing(Rating(float(score)), wins=games), 1, 1_700_000_000.0, 1_700_000_000.0)


def book_of(specs) -> RatingBook:
    return RatingBook([entry(i, s, g) for i, (s, g) in enumerate(specs)], Sink())


# Nakama's steps, over a plain list -------------------------------------------------------------------------


def board(book: RatingBook) -> list[RatingEntry]:
    """Every record, best first: score DESC, subscore DESC, owner_id DESC."""
    return sorted((book.entry_at(i) for i in range(len(book))), key=lambda e: e.key, reverse=True)


def nakama_list(book: RatingBook, limit: int, cursor: Cursor | None):
    rows = board(book)
    if cursor is None:
        scanned = rows[: limit + 1]
    elif cursor.is_next:
        scanned = [e for e in rows if e.key < cursor.key][: limit + 1]
    else:
        scanned = sorted((e for e in rows if e.key > cursor.key), key=lambda e: e.key)[: limit + 1]
    rank = cursor.rank if cursor is not None else 0
    records, next_c, prev_c = [], None, None
    for e in scanned:
        if len(records) >= limit:
            next_c = Cursor.at(*records[-1], is_next=True)
            break
        rank = rank - 1 if cursor is not None and not cursor.is_next else rank + 1
        records.append((e, rank))
        if cursor is not None and prev_c is None:
            prev_c = Cursor.at(e, rank, is_next=False)
    if cursor is not None and not cursor.is_next:
        if next_c is not None and prev_c is not None:
            next_c, prev_c = replace(prev_c, is_next=True), replace(next_c, is_next=False)
        elif next_c is not None:
            next_c, prev_c = None, replace(next_c, is_next=False)
        elif prev_c is not None:
            next_c, prev_c = replace(prev_c, is_next=True), None
        records.reverse()
    return records, next_c, prev_c


def nakama_around(book: RatingBook, owner: RatingEntry, limit: int):
    rows = board(book)
    rank = {e.user_id: i + 1 for i, e in enumerate(rows)}
    first = sorted((e for e in rows if e.key > owner.key), key=lambda e: e.key)[: limit + 1]
    set_prev = len(first) > limit
    first = first[:limit][::-1]
    second_limit = limit // 2
    if len(first) < second_limit:
        second_limit = limit - len(first)
    second = [e for e in rows if e.key < owner.key][: second_limit + 1]
    set_next = len(second) > second_limit
    second = second[:second_limit]
    records = [*first, owner, *second]
    start = len(records) - limit
    if start < 0 or len(first) < second_limit:
        start = 0
    if start > 0:
        set_prev = True
    records = records[start:start + limit]
    prev_c = Cursor.at(records[0], rank[records[0].user_id], is_next=False) if set_prev else None
    next_c = Cursor.at(records[-1], rank[records[-1].user_id], is_next=True) if set_next else None
    return [(e, rank[e.user_id]) for e in records], next_c, prev_c


def shape(records, next_c, prev_c) -> dict:
    """The answer Nakama would write for these records and cursors (as our module writes it)."""
    out = {}
    if records:
        out["records"] = [(e.user_id, str(r)) for e, r in records]
    if next_c is not None:
        out["next_cursor"] = next_c
    if prev_c is not None:
        out["prev_cursor"] = prev_c
    return out


def ours(answer: dict) -> dict:
    out = {}
    if "records" in answer:
        out["records"] = [(r["owner_id"], r["rank"]) for r in answer["records"]]
    for key in ("next_cursor", "prev_cursor"):
        if key in answer:
            out[key] = Cursor.decode(answer[key])
    return out


boards = st.lists(st.tuples(st.integers(0, 6), st.integers(0, 3)), max_size=25)  # few values: many ties


@settings(max_examples=150, deadline=None)
@given(boards, st.integers(1, 7), st.data())
def test_pages_and_their_cursors_are_nakamas(specs, limit, data):
    book = book_of(specs)
    answer = list_records(book, limit)
    assert ours(answer) == shape(*nakama_list(book, limit, None))
    for _ in range(4):  # follow next and previous cursors as a player paging might
        cursors = [answer[k] for k in ("next_cursor", "prev_cursor") if k in answer]
        if not cursors:
            break
        cursor = data.draw(st.sampled_from(cursors))
        answer = list_records(book, limit, cursor)
        assert ours(answer) == shape(*nakama_list(book, limit, Cursor.decode(cursor)))


@settings(max_examples=150, deadline=None)
@given(boards.filter(bool), st.integers(1, 9), st.data())
def test_the_window_around_an_owner_is_nakamas(specs, limit, data):
    book = book_of(specs)
    owner = book.entry_at(data.draw(st.integers(0, len(book) - 1)))
    answer = records_around(book, owner.user_id, limit)
    assert ours(answer) == shape(*nakama_around(book, owner, limit))
    assert answer["rank_count"] == str(len(book))


def test_following_next_cursors_lists_everyone_once_in_order_with_ranks():
    book = book_of([(s, s % 3) for s in range(23)])
    seen, cursor = [], ""
    while True:
        answer = list_records(book, 5, cursor)
        seen += [(r["owner_id"], int(r["rank"])) for r in answer["records"]]
        cursor = answer.get("next_cursor", "")
        if not cursor:
            break
    assert [uid for uid, _ in seen] == [e.user_id for e in board(book)]
    assert [rank for _, rank in seen] == list(range(1, 24))


def test_five_around_an_owner_in_the_middle_are_two_above_and_two_below():
    book = book_of([(s, 0) for s in range(20)])
    owner = board(book)[9]
    answer = records_around(book, owner.user_id, 5)
    assert [int(r["rank"]) for r in answer["records"]] == [8, 9, 10, 11, 12]
    assert "prev_cursor" in answer and "next_cursor" in answer


def test_owner_records_carry_their_rank_in_board_order():
    book = book_of([(5, 0), (9, 0), (1, 0)])
    low, high = book.entry_at(0).user_id, book.entry_at(2).user_id  # ascending: score 1 first
    answer = list_records(book, None, "", [low, high, "00000000-0000-4000-8000-999999999999"])
    assert [(r["owner_id"], r["rank"]) for r in answer["owner_records"]] == [(high, "1"), (low, "3")]
    assert "records" not in answer and answer["rank_count"] == "3"


def test_a_record_at_score_zero_leaves_the_score_out_as_the_gateway_does():
    book = RatingBook([entry(1, 0, 0)], Sink())
    (record,) = list_records(book, 1)["records"]
    assert "score" not in record and "subscore" not in record and record["rank"] == "1"


def test_applying_a_game_moves_the_record_and_queues_its_row():
    from game.match import GameRecord
    from game.rules import Termination
    from game.standing import StandingChange
    from game.xoxo import Presence

    sink = Sink()
    book = RatingBook([entry(1, 1600, 4)], sink, clock=lambda: 1_800_000_000.0)
    a, b = Presence(entry(1, 0, 0).user_id, "s1", "p1"), Presence("00000000-0000-4000-8000-000000000002", "s2", "p2")
    after = (Standing(Rating(1590.0), losses=1), Standing(Rating(1700.0), wins=1))
    rec = GameRecord("m", 1, (a, b), 1, (), 2, Termination.LINE, None, 0.0, 0.0,
                     StandingChange((book.standing(a.user_id), Standing()), after))
    done = []
    book.apply(rec, {b.user_id: "renamed"}.get, lambda: done.append(True))
    assert [w.table for w in sink.writes] == ["ratings", "ratings"] and done == [True]
    assert book.rank_of(b.user_id) == 1 and book.rank_of(a.user_id) == 2
    assert book.entry(a.user_id).num_score == 2 and book.entry(b.user_id).num_score == 1
    assert book.entry(b.user_id).username == "renamed" and book.entry(a.user_id).username == "p1"
    again = entries_from([w.row for w in sink.writes])
    assert {e.user_id: e for e in again} == {a.user_id: book.entry(a.user_id), b.user_id: book.entry(b.user_id)}
    assert rating_write(book.entry(b.user_id)).row[2] == 1700.0

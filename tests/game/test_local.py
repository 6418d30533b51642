"""Games against the bot run the host's match handler in-process, on an injected clock."""

from game.bot import Level
from game.local import LocalMatch
from game.rules import Termination
from net.messages import MatchUpdate, MoveRejected, match_events


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def drain(match):
    events = []
    for op, data in match.poll():
        events.extend(match_events(op, data, match.human.user_id))
    return events


def views(events):
    return [e.view for e in events if isinstance(e, MatchUpdate)]


def test_the_human_moves_first_and_the_bot_answers_after_a_pause():
    clock = FakeClock()
    match = LocalMatch(Level.PERFECT, clock=clock, seed=3)
    first = views(drain(match))
    assert first[-1].your_turn and first[-1].you == 1
    match.send_move(1, 1)
    assert views(drain(match))[-1].board.at(1, 1) == 1
    clock.now += 0.29
    assert drain(match) == []  # the bot is still "thinking"
    due = match.next_wakeup()
    assert due is not None and 100.3 <= due <= 100.7
    clock.now = due
    after = views(drain(match))[-1]
    assert after.your_turn
    assert sum(1 for c in after.board.cells if c == 2) == 1


def test_a_move_out_of_turn_is_refused_by_the_handler():
    clock = FakeClock()
    match = LocalMatch(Level.EASY, clock=clock, seed=1)
    drain(match)
    match.send_move(2, 2)
    drain(match)
    match.send_move(1, 1)  # the bot's turn
    events = drain(match)
    assert any(isinstance(e, MoveRejected) and e.reason == "not_your_turn" for e in events)


def play_out(match, clock, my_moves_rng_seed=0):
    """Play the human's side with the first free cell until the game ends."""
    while True:
        for view in views(drain(match)):
            last = view
        if last.board.is_over:
            return last
        if last.your_turn:
            row, col = last.board.legal_moves()[0]
            match.send_move(row, col)
        else:
            clock.now = match.next_wakeup()


def test_rematch_alternates_the_first_player_and_records_every_game():
    clock = FakeClock()
    records = []
    match = LocalMatch(Level.PERFECT, clock=clock, seed=5, on_record=records.append)
    end = play_out(match, clock)
    assert end.result in ("loss", "draw")  # the perfect bot never loses
    assert len(records) == 1 and records[0].first == 1
    match.request_rematch()
    view = views(drain(match))[-1]
    assert view.game == 2 and not view.board.is_over
    assert view.board.first == 2  # the bot starts the second game
    clock.now = match.next_wakeup()
    play_out(match, clock)
    assert [r.first for r in records] == [1, 2]
    assert all(r.termination in (Termination.LINE, Termination.DRAW) for r in records)


def test_same_seed_same_game():
    def game(seed):
        clock = FakeClock()
        match = LocalMatch(Level.EASY, clock=clock, seed=seed)
        return play_out(match, clock).board.cells

    assert game(11) == game(11)


def test_next_wakeup_is_now_while_answers_wait():
    clock = FakeClock()
    match = LocalMatch(Level.EASY, clock=clock, seed=2)
    assert match.next_wakeup() == clock.now  # the first state is waiting
    drain(match)
    match.send_move(2, 2)
    assert match.next_wakeup() == clock.now
    drain(match)
    assert match.next_wakeup() > clock.now  # now only the bot's move is due

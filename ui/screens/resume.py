"""Back to a game the client was killed in: the offer on the menu at launch, and the way a trip goes back to it.

A note left on disk by a board (``ui.resume``) means the game last stopped mid-game. At
launch, over the menu, ``ResumeOfferScreen`` asks the server about that seat and offers
"Your game against bob is still on: Resume (14 s)" while the server holds it, counting
down; once the hold has run out the offer is gone and the card says what the server
recorded, which History then lists as an abandoned game. Resuming (or starting online play
on that server, or ``--online`` headless) goes through ``SeatCheckScreen``: it asks again,
joins the match by its id while the seat is held (the board comes back exactly as it
was), else records the verdict and looks for an opponent as usual.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pygame

from net.messages import (
    CheckSeat,
    ConnectionLost,
    Disconnect,
    Event,
    Failure,
    MatchGone,
    MatchJoined,
    ResumeMatch,
    SeatChecked,
    SignedIn,
    SignIn,
)
from net.resume import SeatAnswer, SeatStatus
from ui import theme
from ui.i18n import L_, _, later, ngettext
from ui.render import draw_card, translucent
from ui.resume import latest_seat, record_verdict, verdict_text, verdict_title, worth_rejoining
from ui.screens.base import Canvas
from ui.screens.layout import ColumnLayout
from ui.screens.netkit import WaitingScreen, WaitRows, draw_spinner
from ui.screens.notice import NoticeLayout, NoticeScreen, place_row
from ui.screens.trip import Trip
from ui.seats import Seat
from ui.textcut import short_name
from ui.widgets import Button, ButtonStyle

if TYPE_CHECKING:
    from ui.app import App

RECHECK_AFTER = 1.0  # seconds after the hold has run out before asking the server for its verdict


class Phase(enum.StrEnum):
    CHECKING = "checking"  # asking the server about the seat
    HELD = "held"  # the seat is held: the offer counts down
    MAYBE = "maybe"  # the server cannot say (no such RPC): the join may be tried
    OVER = "over"  # the server's verdict is shown
    REJOINING = "rejoining"  # joining the match again (SeatCheckScreen)


def _name(seat: Seat) -> str:
    return short_name(seat.opponent) or _("your opponent")


# On the menu at launch ----------------------------------------------------------------------------------


class ResumeOfferScreen(NoticeScreen):
    """Over the menu: the game the client was killed in, still on (Resume, counting down) or over (what it came to)."""

    name = "resume-offer"
    overlay = True
    back_keys = (pygame.K_ESCAPE,)

    def __init__(self, seat: Seat, device_id: str):
        self.seat = seat
        self.device_id = device_id
        self.phase = Phase.CHECKING
        self.answer: SeatAnswer | None = None
        self.ends_at: float | None = None  # when the seat hold runs out (App clock)
        self.recheck_at: float | None = None
        super().__init__(later(self._title_now), later(self._message_now))
        self.resume_button = Button(later(self._resume_label), self.resume, style=ButtonStyle.PRIMARY, hint=L_("Enter"))
        self.later_button = Button(L_("Not now"), self.dismiss, hint=L_("Esc"))
        self.ok_button = Button(L_("OK"), self.dismiss, style=ButtonStyle.PRIMARY)
        self._set_buttons()

    # What it says -----------------------------------------------------------------------------

    @property
    def seconds_left(self) -> int:
        return 0 if self.ends_at is None else max(0, math.ceil(self.ends_at - self.now - 1e-9))

    def _title_now(self) -> str:
        name = _name(self.seat)
        if self.phase is Phase.HELD:
            return _("Your game against {name} is still on").format(name=name)
        if self.phase is Phase.MAYBE:
            return _("Your game against {name} may still be on").format(name=name)
        if self.phase is Phase.OVER:
            return verdict_title(self.seat.opponent, self.answer)
        return _("Your game against {name}").format(name=name)

    def _message_now(self) -> str:
        if self.phase is Phase.HELD and self.ends_at is None:  # in the game right now, from another session
            return _("It is going on in another window or on another computer: you can take it over here.")
        if self.phase is Phase.HELD:
            n = self.seconds_left
            return ngettext("If you do not come back within {n} s, it counts as a loss.",
                            "If you do not come back within {n} s, it counts as a loss.", n).format(n=n)
        if self.phase is Phase.MAYBE:
            return _("This server cannot say whether it still holds your seat: you can try to go back.")
        if self.phase is Phase.OVER:
            return verdict_text(self.seat.opponent, self.answer)
        return _("The game stopped while it was on. Asking the server about it…")

    def _resume_label(self) -> str:
        if self.phase is Phase.HELD and self.ends_at is not None:
            n = self.seconds_left
            return ngettext("Resume ({n} s)", "Resume ({n} s)", n).format(n=n)
        return _("Try to resume")

    def _set_buttons(self) -> None:
        if self.phase in (Phase.HELD, Phase.MAYBE):
            row = [self.resume_button, self.later_button]
        elif self.phase is Phase.OVER:
            row = [self.ok_button]
        else:
            row = [self.later_button]
        self.buttons.set_rows([row])
        self.buttons.focus_on(row[0])
        self.relayout()

    # The network ----------------------------------------------------------------------------

    def on_mount(self) -> None:
        assert self.app is not None
        seat = self.seat
        network = self.app.network
        network.send(SignIn(seat.server, seat.key, seat.name or self.app.userdata.profile.name, self.device_id,
                            seat.ca_file or None))
        network.send(CheckSeat(seat.match_id, seat.game))

    def on_event(self, event: Event) -> None:
        if isinstance(event, SeatChecked) and event.match_id == self.seat.match_id:
            self._checked(event.answer)
        elif isinstance(event, Failure) and self.phase is Phase.CHECKING:
            self.dismiss()  # the server cannot be asked now: the note stays, and the next launch asks again

    def _checked(self, answer: SeatAnswer) -> None:
        self.answer = answer
        self.recheck_at = None
        if answer.status in (SeatStatus.HELD, SeatStatus.SEATED):
            self.phase = Phase.HELD
            self.ends_at = self.now + answer.seconds_left if answer.status is SeatStatus.HELD else None
        elif answer.status is SeatStatus.UNSUPPORTED:
            self.phase = Phase.MAYBE
        else:
            self.phase = Phase.OVER
            assert self.app is not None
            record_verdict(self.app.userdata, self.seat, answer, self.app.wall_clock())
            self._let_go()
        self._set_buttons()

    def update(self, now: float) -> None:
        if self.phase is Phase.HELD and self.ends_at is not None and now >= self.ends_at and self.recheck_at is None:
            # The hold ran out with the offer on screen: it is gone; the server's verdict comes next.
            self.phase = Phase.CHECKING
            self.recheck_at = now + RECHECK_AFTER
            self._set_buttons()
        if self.recheck_at is not None and now >= self.recheck_at and self.app is not None:
            self.recheck_at = now + 3600  # asked once; the answer resets it
            self.app.network.send(CheckSeat(self.seat.match_id, self.seat.game))

    def next_deadline(self) -> float | None:
        now = self.now
        due = [t for t in (self.recheck_at,) if t is not None]
        if self.phase is Phase.HELD and self.ends_at is not None and self.ends_at > now:
            left = self.ends_at - now
            due.append(now + (left - math.floor(left) or 1.0))
        return min(due) if due else None

    # What the player does ------------------------------------------------------------------------

    def resume(self) -> None:
        """Back to the game: the trip asks again and joins the match while the seat is held."""
        app = self.app
        assert app is not None
        seat = self.seat
        from ui.screens.netflow import resume_online  # the flow imports this module

        self.close()
        resume_online(app, seat)

    def dismiss(self) -> None:
        """Not now (the note stays: the next launch asks again), or OK after the verdict."""
        self._let_go()
        self.close()

    def back(self) -> None:
        self.dismiss()

    def _let_go(self) -> None:
        if self.app is not None and self.app.has_network:
            self.app.network.send(Disconnect())

    def _place(self, lay: NoticeLayout) -> None:
        place_row(self.buttons.buttons, lay, 220)

    def draw(self, surface: pygame.Surface) -> None:
        translucent(surface, theme.BACKGROUND, surface.get_rect(), 0, 170)
        super().draw(surface)


def offer_resume(app: App) -> ResumeOfferScreen | None:
    """At launch: if the game last stopped mid-game, ask about that game over the menu (None if it did not)."""
    device_id = app.userdata.session_device_id()
    seat = latest_seat(app.userdata, device_id)
    if seat is None:
        return None
    screen = ResumeOfferScreen(seat, device_id)
    app.push(screen)
    return screen


# On the way into online play -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeatCheckRows(WaitRows):
    text_rows = WaitRows.text_rows | {"status", "server"}

    title: int = 48
    spinner: int = 104
    status: int = 34
    server: int = 34


class SeatCheckScreen(WaitingScreen[SeatCheckRows]):
    """Signed in to a server where the game last stopped mid-game: ask about it, go back to it, or play on."""

    name = "resuming"

    def __init__(self, flow: Trip, seat: Seat):
        super().__init__()
        self.flow = flow
        self.seat = seat
        self.phase = Phase.CHECKING
        self.answer: SeatAnswer | None = None
        self.asked = 0

    @property
    def title(self) -> str:
        return _("Your game against {name}").format(name=_name(self.seat))

    @property
    def status_text(self) -> str:
        if self.phase is Phase.REJOINING:
            return _("Going back to it…")
        return _("Asking the server whether it is still on…")

    def on_mount(self) -> None:
        super().on_mount()
        self._ask()

    def _ask(self) -> None:
        assert self.app is not None
        self.asked += 1
        self.phase = Phase.CHECKING
        self.app.network.send(CheckSeat(self.seat.match_id, self.seat.game))

    def on_event(self, event: Event) -> None:
        app = self.app
        if app is None:
            return
        if isinstance(event, SeatChecked) and event.match_id == self.seat.match_id:
            self.answer = event.answer
            if worth_rejoining(event.answer):
                self.phase = Phase.REJOINING
                app.network.send(ResumeMatch(self.seat.match_id, event.answer.opponent or self.seat.opponent))
            else:
                self._play_on(event.answer)
        elif isinstance(event, MatchJoined):
            self.flow.matched(event.label, event.match_id)
        elif isinstance(event, MatchGone):
            held = self.answer is not None and self.answer.status is SeatStatus.HELD
            if held and self.asked < 2:
                self._ask()  # the hold ran out meanwhile: the verdict is there now
            else:
                self._play_on(self.answer if self.answer is not None and self.answer.status is SeatStatus.OVER else None)
        elif isinstance(event, Failure):
            self.flow.failed(event)
        elif isinstance(event, (SignedIn, ConnectionLost)):
            pass  # the spinner says enough

    def _play_on(self, answer: SeatAnswer | None) -> None:
        """The game is over (the server's verdict, or none): into History as abandoned, then find an opponent."""
        assert self.app is not None
        record_verdict(self.app.userdata, self.seat, answer, self.app.wall_clock())
        self.flow.search()

    def cancel(self) -> None:
        if self.app is not None:
            self.flow.back()

    # Drawing ------------------------------------------------------------------------------------------

    def measure(self, size: tuple[int, int]) -> ColumnLayout[SeatCheckRows]:
        return ColumnLayout.centred(size, SeatCheckRows(),
                                    lambda h: (h.pad, h.title, h.spinner, h.status, h.server, h.button, h.pad),
                                    width=500, min_top=12)

    def paint(self, canvas: Canvas, lay: ColumnLayout[SeatCheckRows]) -> None:
        surface, s = canvas.surface, canvas.scale
        col, h = lay.column, lay.rows
        cx = canvas.center_x
        draw_card(surface, col.top, col.width, col.height, s)
        room = col.width - 48 * s
        y = col.top + h.pad
        canvas.fitted(self.title, 32 * s, room, theme.TEXT, (cx, y + h.title / 2))
        y += h.title
        draw_spinner(surface, (cx, y + h.spinner / 2), 30 * s, self.now if self.animating else 0.0)
        y += h.spinner
        canvas.fitted(self.status_text, 22 * s, room, theme.TEXT, (cx, y + h.status / 2))
        y += h.status
        server = _("Server {server}").format(server=self.seat.server)
        canvas.fitted(server, theme.small(15 * s), room, theme.MUTED, (cx, y + h.server / 2), light=True)
        self.buttons.draw(surface, canvas.fonts, s)
        self.draw_footer(surface, _("Esc cancels"), col.footer)


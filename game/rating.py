"""Glicko-2 ratings (Glickman, "Example of the Glicko-2 system"), one game per rating period.

Pure: no I/O, no clock. A player starts at rating 1500, deviation 350 and volatility 0.06,
the paper's defaults, and counts as provisional (shown with a "?") while the deviation is
above 110, as lichess does. Each rated game is its own rating period, as on online game
servers: both players are updated at once, each from the other's rating *before* the game.

The system constant is TAU = 0.5. The paper suggests 0.3 to 1.2 and asks for smaller
values where improbable results are expected; lichess, whose games are longer and less
noisy, uses 0.75. A game of tic-tac-toe is short and mostly drawn between careful players,
so one slip decides it: an upset says little about a change in strength, and with a
period per game a large TAU would let the volatility, and with it every later change,
swing on single games. 0.5 is also the paper's own value, so the published example
checks the constant we play with, not a stand-in.

Deterministic to the last bit, so that the Nakama module (Lua 5.1: every number a
double) computes the same numbers as the host. Only IEEE-754 operations whose result is
fixed by the standard are used: ``+ - * /``, comparisons, ``floor`` and ``sqrt`` (which
IEEE-754 requires to be correctly rounded). ``exp`` and ``log`` are not fixed by the
standard (glibc, Go's math package under gopher-lua and LuaJIT may differ in the last
bit), so this module computes them itself from those operations (``_exp``, ``_log``):
a Lua port that copies the same steps in the same order gets the same bits. Each formula
below is written with its evaluation order spelled out by parentheses; ``x * x`` stands
for a square (never ``x ^ 2``, which is ``pow`` in Lua); literals are written so that
they parse to the same double everywhere (at most 17 significant digits).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass

SCALE = 173.7178  # Glicko-2 scale: mu = (r - 1500) / SCALE, phi = RD / SCALE
BASE_RATING = 1500.0
START_DEVIATION = 350.0
START_VOLATILITY = 0.06
TAU = 0.5
EPSILON = 0.000001  # the paper's convergence tolerance for step 5
PROVISIONAL_DEVIATION = 110.0  # provisional while deviation > this (lichess)
MAX_ITERATIONS = 100  # a bound on each loop of step 5; never reached for valid ratings

PI = 3.141592653589793  # the double nearest pi (Python's math.pi, Lua's math.pi)
PI_SQUARED = PI * PI
# Cody-Waite split of ln 2: LN2_HI has its low 32 bits zero, so k * LN2_HI is exact for |k| < 2**20.
LN2_HI = 6.93147180369123816490e-01
LN2_LO = 1.90821492927058770002e-10
INV_LN2 = 1.44269504088896338700e00
SQRT2 = 1.4142135623730951
SQRT1_2 = 0.7071067811865476
EXP_OVERFLOW = 709.0  # _exp(x) is +inf above this, 0.0 below EXP_UNDERFLOW
EXP_UNDERFLOW = -745.0
EXP_TERMS = 14  # Taylor terms for exp(r), |r| <= ln(2)/2: remainder below 1e-17
LOG_TERMS = 12  # atanh series terms for log(m), m in [sqrt(1/2), sqrt(2)): remainder below 1e-18


class RatingError(ValueError):
    """A rating, deviation or volatility that cannot be rated (not finite, or not positive where it must be)."""


class Result(enum.Enum):
    """The result of one game for the player being rated."""

    WIN = "win"
    DRAW = "draw"
    LOSS = "loss"

    @property
    def score(self) -> float:
        """Glicko's s: 1 for a win, 0.5 for a draw, 0 for a loss."""
        return _SCORES[self]

    @property
    def opposite(self) -> Result:
        """The same game's result for the opponent."""
        return _OPPOSITES[self]


_SCORES = {Result.WIN: 1.0, Result.DRAW: 0.5, Result.LOSS: 0.0}
_OPPOSITES = {Result.WIN: Result.LOSS, Result.DRAW: Result.DRAW, Result.LOSS: Result.WIN}


def round_half_up(x: float) -> int:
    """``floor(x + 0.5)``: the rounding shown to players (Lua: ``math.floor(x + 0.5)``)."""
    return math.floor(x + 0.5)


@dataclass(frozen=True)
class Rating:
    """A player's Glicko-2 state on the displayed scale: rating, deviation (RD) and volatility (sigma)."""

    rating: float = BASE_RATING
    deviation: float = START_DEVIATION
    volatility: float = START_VOLATILITY

    def __post_init__(self) -> None:
        if not math.isfinite(self.rating):
            raise RatingError(f"a rating must be a finite number, not {self.rating!r}")
        if not (math.isfinite(self.deviation) and self.deviation > 0.0):
            raise RatingError(f"a rating deviation must be a positive number, not {self.deviation!r}")
        if not (math.isfinite(self.volatility) and self.volatility > 0.0):
            raise RatingError(f"a volatility must be a positive number, not {self.volatility!r}")

    @property
    def provisional(self) -> bool:
        """True while the deviation is above 110: the rating is still a guess."""
        return self.deviation > PROVISIONAL_DEVIATION

    @property
    def shown(self) -> int:
        """The rating as players see it (and as the leaderboard's score): rounded half up."""
        return round_half_up(self.rating)

    @property
    def label(self) -> str:
        """The rating as shown beside a name: ``1500?`` while provisional, ``1623`` after."""
        return f"{self.shown}?" if self.provisional else str(self.shown)


@dataclass(frozen=True)
class RatingChange:
    """One player's rating before and after a rated game."""

    before: Rating
    after: Rating

    @property
    def delta(self) -> int:
        """The change as shown: the difference of the two shown ratings, so that 1500 -> 1508 reads +8."""
        return self.after.shown - self.before.shown

    @property
    def text(self) -> str:
        """The change for display: ``+8``, ``\u22127`` (a minus sign, U+2212) or ``\u00b10``."""
        return format_change(self.delta)


def format_change(delta: int) -> str:
    """``+8``, ``\u22127`` (minus sign U+2212, not a hyphen) or ``\u00b10``."""
    if delta > 0:
        return f"+{delta}"
    if delta < 0:
        return f"\u2212{-delta}"
    return "\u00b10"


@dataclass(frozen=True)
class GameRatings:
    """Both players' changes after one rated game, in the order they were given to ``rate_game``."""

    first: RatingChange
    second: RatingChange


def rate_game(first: Rating, second: Rating, result: Result, tau: float = TAU) -> GameRatings:
    """Update both players after one game; ``result`` is the first player's (WIN: the first won)."""
    return GameRatings(
        RatingChange(first, rate(first, [(second, result)], tau)),
        RatingChange(second, rate(second, [(first, result.opposite)], tau)),
    )


def rate(player: Rating, games: Sequence[tuple[Rating, Result]], tau: float = TAU) -> Rating:
    """The player's rating after one rating period with these games (opponents as they were before it).

    The steps and their numbers are the paper's. Online play passes one game; the paper's
    worked example passes three. A period without games only widens the deviation (step 6).
    """
    if not (math.isfinite(tau) and tau > 0.0):
        raise RatingError(f"the system constant tau must be a positive number, not {tau!r}")
    # Step 2: to the Glicko-2 scale.
    mu = (player.rating - BASE_RATING) / SCALE
    phi = player.deviation / SCALE
    sigma = player.volatility
    phi_sq = phi * phi
    if not games:
        return Rating(float(player.rating), SCALE * math.sqrt(phi_sq + (sigma * sigma)), sigma)
    # Steps 3 and 4: the estimated variance v and the improvement delta, summed in the order given.
    information = 0.0  # sum of g^2 E (1 - E)
    surprise = 0.0  # sum of g (s - E)
    for opponent, result in games:
        g = _g(opponent.deviation / SCALE)
        e = _expected(mu, (opponent.rating - BASE_RATING) / SCALE, g)
        information = information + (((g * g) * e) * (1.0 - e))
        surprise = surprise + (g * (result.score - e))
    v = 1.0 / information
    delta = v * surprise
    # Step 5: the new volatility.
    sigma_new = _volatility(delta, phi_sq, v, sigma, tau)
    # Step 6: the pre-period deviation widened by the new volatility (squared: no sqrt needed).
    phi_star_sq = phi_sq + (sigma_new * sigma_new)
    # Step 7: the new deviation and rating.
    phi_new = 1.0 / math.sqrt((1.0 / phi_star_sq) + (1.0 / v))
    mu_change = (phi_new * phi_new) * surprise
    # Step 8: back to the displayed scale. The rating moves by SCALE * (mu' - mu), the paper's
    # r' = SCALE * mu' + 1500 without the round trip through mu, so that a draw between equals
    # leaves the rating exactly as it was and a win never lowers it.
    return Rating(player.rating + (SCALE * mu_change), SCALE * phi_new, sigma_new)


def _g(phi: float) -> float:
    """g(phi) = 1 / sqrt(1 + 3 phi^2 / pi^2)."""
    return 1.0 / math.sqrt(1.0 + ((3.0 * (phi * phi)) / PI_SQUARED))


def _expected(mu: float, mu_opponent: float, g: float) -> float:
    """E = 1 / (1 + exp(-g (mu - mu_j))): the expected score against that opponent."""
    return 1.0 / (1.0 + _exp(-(g * (mu - mu_opponent))))


def _volatility(delta: float, phi_sq: float, v: float, sigma: float, tau: float) -> float:
    """Step 5: sigma' by the Illinois algorithm on f, bracketing and iterating exactly as the paper does."""
    a = _log(sigma * sigma)
    tau_sq = tau * tau
    delta_sq = delta * delta

    def f(x: float) -> float:
        ex = _exp(x)
        spread = (phi_sq + v) + ex
        return ((ex * (((delta_sq - phi_sq) - v) - ex)) / (2.0 * (spread * spread))) - ((x - a) / tau_sq)

    big_a = a
    if delta_sq > (phi_sq + v):
        big_b = _log((delta_sq - phi_sq) - v)
    else:
        k = 1
        while f(a - (k * tau)) < 0.0 and k < MAX_ITERATIONS:
            k += 1
        big_b = a - (k * tau)
    f_a = f(big_a)
    f_b = f(big_b)
    iterations = 0
    while abs(big_b - big_a) > EPSILON and iterations < MAX_ITERATIONS:
        iterations += 1
        big_c = big_a + (((big_a - big_b) * f_a) / (f_b - f_a))
        f_c = f(big_c)
        if (f_c * f_b) <= 0.0:
            big_a = big_b
            f_a = f_b
        else:
            f_a = f_a / 2.0
        big_b = big_c
        f_b = f_c
    return _exp(big_a / 2.0)


def _exp(x: float) -> float:
    """e**x from + - * / and floor only, the same bits in every language with IEEE doubles.

    x = k ln2 + r with |r| <= ln2 / 2 (Cody-Waite), e**r by its Taylor series in nested
    form 1 + r/n (1 + r/(n-1) (...)) from n = 14 down, then doubled or halved |k| times.
    Relative error a few units in the last place.
    """
    if x > EXP_OVERFLOW:
        return math.inf
    if x < EXP_UNDERFLOW:
        return 0.0
    k = float(math.floor((x * INV_LN2) + 0.5))
    r = (x - (k * LN2_HI)) - (k * LN2_LO)
    p = 1.0
    for n in _EXP_DIVISORS:
        p = 1.0 + ((r / n) * p)
    if -1021.0 <= k <= 1000.0:
        # p (about 0.7 to 1.5) times 2**k stays a normal double here, where each doubling or halving is exact:
        # ldexp gives the same bits as |k| of them, in one step (a Lua port may keep the loop).
        return math.ldexp(p, int(k))
    factor = 2.0 if k > 0.0 else 0.5
    for _ in range(int(abs(k))):
        p = p * factor
    return p


def _log(x: float) -> float:
    """ln x for a positive finite x, from + - * / only, the same bits in every language with IEEE doubles.

    x = m 2**e with m in [sqrt(1/2), sqrt(2)) (halving or doubling, both exact), then
    ln m = 2 atanh(s), s = (m - 1) / (m + 1), by its series 2 s (1 + s^2/3 + s^4/5 + ...)
    in nested form over 12 terms, plus e ln2 in two parts. Relative error a few units in the last place.
    """
    if not (x > 0.0 and math.isfinite(x)):
        raise RatingError(f"log of {x!r}")
    # The one m in [sqrt(1/2), sqrt(2)) with x = m 2**e: what halving or doubling x until it is there gives (every
    # step exact), read off frexp's m in [1/2, 1) instead of looped to (a Lua port may keep the loops).
    m, exponent = math.frexp(x)
    if m < SQRT1_2:
        m = m * 2.0
        exponent -= 1
    e = float(exponent)
    s = (m - 1.0) / (m + 1.0)
    s_sq = s * s
    t = _LOG_FIRST
    for reciprocal in _LOG_RECIPROCALS:
        t = reciprocal + (s_sq * t)
    return (e * LN2_HI) + ((e * LN2_LO) + ((2.0 * s) * t))


# The series' constants, computed once exactly as the loops above computed them each time.
_EXP_DIVISORS = tuple(float(n) for n in range(EXP_TERMS, 0, -1))
_LOG_FIRST = 1.0 / float(2 * LOG_TERMS + 1)
_LOG_RECIPROCALS = tuple(1.0 / float(2 * n + 1) for n in range(LOG_TERMS - 1, -1, -1))

"""The command line of the game: ``python main.py`` and the installed ``tictactoe`` command run ``main``.

``build_parser`` defines every flag and ``main`` dispatches on them: the window (the
menu, or straight into a game against the bot, online, or on the LAN) or, with
``--serve``, the authoritative host without a window (``net.host.serve``). Flags
that cannot work together are refused with the usage and exit code 2. Nothing here
imports pygame until a window is wanted, so ``--help`` and ``--serve`` work without it.
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from game.bot import LEVELS, Level
from net.address import DEFAULT_DISCOVERY_PORT, DEFAULT_PORT, DEFAULT_SERVER_KEY, ServerAddress
from net.config import SessionConfig
from net.host.serve import add_serve_arguments, fill_serve_defaults
from net.limits import MAX_NAME_LENGTH, InvalidInput, check_friend_code, normalize_name
from net.tls import TlsConfigError, check_pem


def program_name() -> str:
    """How usage lines name the program: ``tictactoe`` when installed, else ``main.py``."""
    launcher = Path(sys.argv[0]).stem if sys.argv and sys.argv[0] else ""
    return launcher if launcher.startswith("tictactoe") else "main.py"


DEFAULT_SIZE = (640, 720)  # the window (as ui.theme has them; not imported, so --help needs no pygame)
MIN_SIZE = (480, 540)
MAX_SIDE = 8192
DEFAULT_LAN_PORT = DEFAULT_PORT
DEFAULT_LAN_BIND = "0.0.0.0"
DISCOVER = True  # --join without an address: join the first game announced on the LAN

# Flags that mean one thing to the game and another to --serve: (--serve's default, its help).
SHARED_FLAGS = {
    "port": f"with --host: the LAN game's port (default {DEFAULT_PORT}; the next free one if it is taken; 0 for any); "
    f"with --serve: the port to listen on (default {DEFAULT_PORT})",
    "key": f"with --online: the server key to present (default: the last one used, else {DEFAULT_SERVER_KEY}); "
    f"with --serve: the key clients must present (default {DEFAULT_SERVER_KEY})",
    "bind": "with --serve: the address to listen on (default 127.0.0.1; 0.0.0.0 serves every interface); "
    "with --host: the address the LAN game listens on (default 0.0.0.0)",
}
SERVE_ONLY = ("data", "turn_seconds", "grace_seconds", "rematch_seconds", "tls_cert", "tls_key", "log_level",
              "admin_port", "admin_bind", "admin_password_file", "log_format", "loop", "idle_seconds", "unrated")


def _size(text: str) -> tuple[int, int]:
    """'WxH' -> (W, H), within the window limits."""
    try:
        w_text, h_text = text.lower().split("x")
        w, h = int(w_text), int(h_text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 640x720, not {text!r}") from None
    if not (MIN_SIZE[0] <= w <= MAX_SIDE and MIN_SIZE[1] <= h <= MAX_SIDE):
        raise argparse.ArgumentTypeError(
            f"size must be at least {MIN_SIZE[0]}x{MIN_SIZE[1]} and at most {MAX_SIDE}x{MAX_SIDE}, not {text!r}"
        )
    return (w, h)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number of at least 1, not {value}")
    return value


def _seed(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"the seed must be a whole number, not {text!r}") from None


def _address(text: str) -> str:
    """A server address as typed (``HOST:PORT``, ``https://HOST``, ...), once it is known to parse."""
    try:
        ServerAddress.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT or https://HOST, e.g. 127.0.0.1:7350 ({exc})") from None
    return text.strip()


def _name(text: str) -> str:
    try:
        return normalize_name(text)
    except InvalidInput as exc:
        raise argparse.ArgumentTypeError(f"{exc} (not {text!r})") from None


def _code(text: str) -> str:
    try:
        return check_friend_code(text)
    except InvalidInput as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _pem_file(text: str) -> Path:
    try:
        check_pem(text, "certificate authority file", "CERTIFICATE")
    except TlsConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return Path(text)


def _udp_port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, not {text!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 1 to 65535, not {value}")
    return value


def _ipv4(text: str) -> str:
    try:
        return str(ipaddress.IPv4Address(text.strip()))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an IPv4 address such as 192.168.1.255, not {text!r}") from None


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, not {text!r}") from None
    if not math.isfinite(value) or not 0 <= value <= 60:
        raise argparse.ArgumentTypeError(f"expected seconds from 0 to 60, not {text!r}")
    return value


def _timeout(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, not {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds above 0, not {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The command line of the game (and of ``--serve``)."""
    levels = ", ".join(LEVELS)
    parser = argparse.ArgumentParser(
        prog=program_name(),
        allow_abbrev=False,  # --serve / --server and --host / --help are too close to guess between
        description="Tic-tac-toe against the bot, on the LAN or online. Without options it opens the menu.",
        epilog=(
            "Headless: with SDL_VIDEODRIVER=dummy everything runs without a window; --games then plays "
            "without pauses or animations (unless --auto-delay is given), and a networked run that cannot "
            "go on (server unreachable, opponent left early, ...) exits 1 with the reason on stderr. "
            "Examples: SDL_VIDEODRIVER=dummy python main.py --bot perfect --auto perfect --games 3; "
            "python main.py --serve --port 7350 & SDL_VIDEODRIVER=dummy python main.py --online --server "
            "127.0.0.1:7350 --auto perfect --games 2 (twice)."
        ),
    )
    what = parser.add_argument_group("what to play (at most one; without any, the menu opens)")
    mode = what.add_mutually_exclusive_group()
    mode.add_argument(
        "--bot", metavar="LEVEL", choices=LEVELS, help=f"start straight into a game against the bot ({levels})"
    )
    mode.add_argument(
        "--online",
        action="store_true",
        help="go straight to matchmaking on a game server (Nakama with XOXO, or --serve): see --server, --key, --name",
    )
    mode.add_argument(
        "--host",
        action="store_true",
        help="host a LAN game, announce it, and wait for someone to join: see --port, --bind, --broadcast, --name",
    )
    mode.add_argument(
        "--join",
        nargs="?",
        const=DISCOVER,
        metavar="HOST:PORT",
        type=_address,
        help="join the LAN game at HOST:PORT; without an address, the first joinable game announced on the LAN",
    )
    mode.add_argument(
        "--serve",
        action="store_true",
        help="run the game server without a window until Ctrl-C or SIGTERM: see the 'game server' options",
    )
    net = parser.add_argument_group("online and LAN play (--port, --key and --bind are under 'game server')")
    net.add_argument(
        "--server",
        metavar="HOST:PORT",
        type=_address,
        help="with --online: the game server, HOST:PORT or https://HOST (TLS on port 443 too; "
        "default: the last one used, else 127.0.0.1:7350)",
    )
    net.add_argument(
        "--code",
        metavar="CODE",
        type=_code,
        help="with --online: play the friend who uses the same code (4 to 6 letters and digits, e.g. K7QXM)",
    )
    net.add_argument(
        "--ca-file",
        metavar="PEM",
        type=_pem_file,
        help="with --online: also trust this certificate authority (for a self-hosted server with its own certificate)",
    )
    net.add_argument(
        "--name",
        metavar="NAME",
        type=_name,
        help=f"with --online, --host or --join: your name, 1 to {MAX_NAME_LENGTH} characters "
        "(default: the last one used)",
    )
    net.add_argument(
        "--match-timeout",
        metavar="SECONDS",
        type=_timeout,
        help="with --online, --host or --join: stop looking for an opponent after this long (headless: exit 1)",
    )
    net.add_argument(
        "--discovery-port",
        metavar="N",
        type=_udp_port,
        help="with --host, --join (no address) or the menu: the UDP port of LAN announcements "
        f"(default {DEFAULT_DISCOVERY_PORT})",
    )
    net.add_argument(
        "--broadcast",
        metavar="ADDR",
        type=_ipv4,
        help="with --host or the menu: send every LAN announcement to this one address instead of each "
        "network's broadcast address (e.g. 127.255.255.255 keeps them on this machine)",
    )
    play = parser.add_argument_group("playing for you (any game)")
    play.add_argument(
        "--auto",
        metavar="LEVEL",
        choices=LEVELS,
        help=f"let a bot of this level ({levels}) play your side of any game, and ask for each rematch",
    )
    play.add_argument(
        "--auto-delay",
        metavar="SECONDS",
        type=_seconds,
        help="the auto player's pause before each move (default: like the bot, 0.3 to 0.7 s)",
    )
    play.add_argument(
        "--games",
        metavar="N",
        type=_positive_int,
        help='quit after N finished games, printing one JSON line per game, e.g. {"mode": "bot", "level": '
        '"perfect", "mark": "X", "result": "draw", "moves": 9, "first": "X"} (mode "online" or "lan" over '
        "the network); exit code 0 when all N were played",
    )
    play.add_argument("--instant", action="store_true", help="no pauses and no animations (the bot answers at once)")
    play.add_argument("--seed", metavar="N", type=_seed, help="seed the bots and their pauses, for repeatable games")
    window = parser.add_argument_group("window")
    window.add_argument(
        "--size",
        metavar="WxH",
        type=_size,
        help=f"window size (default {DEFAULT_SIZE[0]}x{DEFAULT_SIZE[1]}, at least {MIN_SIZE[0]}x{MIN_SIZE[1]})",
    )
    window.add_argument(
        "--screenshot",
        metavar="DIR",
        type=Path,
        help="save a PNG of every screen shown, and of the board at the end of each game, into DIR",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more (to stderr)")
    # No defaults: --port, --key and --bind also serve --host and --online, so a flag given
    # must be told from one left out; --serve fills the server's defaults in _serve.
    add_serve_arguments(parser, defaults=False, help_overrides=SHARED_FLAGS)
    return parser


def _headless() -> bool:
    return os.environ.get("SDL_VIDEODRIVER", "").lower() == "dummy"


def _given(args: argparse.Namespace, *dests: str) -> list[str]:
    """The flags among ``dests`` that the command line gave, as typed (``--turn-seconds``)."""
    return ["--" + d.replace("_", "-") for d in dests if getattr(args, d) is not None and getattr(args, d) is not False]


def _check_combinations(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Refuse flag combinations that mean nothing or could never finish (exit 2 with the usage)."""
    for check in (_serve_mismatch, _mode_mismatch, _headless_mismatch):
        problem = check(args)
        if problem is not None:
            parser.error(problem)


def _serve_mismatch(args: argparse.Namespace) -> str | None:
    """Player flags with --serve, or server flags without it."""
    if args.serve:
        stray = _given(args, "server", "name", "code", "ca_file", "discovery_port", "broadcast", "auto", "auto_delay",
                       "games", "seed", "size", "screenshot") + (["--instant"] if args.instant else [])
        return f"--serve runs the server without a window or a player; {', '.join(stray)} cannot go with it" if stray else None
    stray = _given(args, *SERVE_ONLY)
    return f"{stray[0]} is a game server option: use it with --serve" if stray else None


def _mode_mismatch(args: argparse.Namespace) -> str | None:
    """A flag given without the mode it belongs to; the first one, as the command line has them."""
    networked = args.online or args.host or args.join is not None
    player_flags = _given(args, "name", "match_timeout")
    not_for_lan = args.online or args.bot
    rules: tuple[tuple[bool, str], ...] = (
        (args.server is not None and not args.online,
         "--server goes with --online (--join takes the address itself: --join HOST:PORT)"),
        (args.code is not None and not args.online, "--code goes with --online"),
        (args.ca_file is not None and not args.online, "--ca-file goes with --online"),
        (args.key is not None and not (args.online or args.serve), "--key goes with --online or --serve"),
        (bool(player_flags) and not networked, f"{(player_flags or [''])[0]} goes with --online, --host or --join"),
        (args.port is not None and not (args.host or args.serve), "--port goes with --host or --serve"),
        (args.bind is not None and not (args.host or args.serve), "--bind goes with --host or --serve"),
        (args.discovery_port is not None and bool(not_for_lan or args.join not in (None, DISCOVER)),
         "--discovery-port is for LAN announcements: use it with --host, --join without an address, or the menu"),
        (args.broadcast is not None and bool(not_for_lan or args.join is not None),
         "--broadcast sets where a LAN host announces its game: use it with --host or the menu"),
        (args.auto_delay is not None and args.auto is None, "--auto-delay needs --auto LEVEL"),
    )
    return next((message for broken, message in rules if broken), None)


def _headless_mismatch(args: argparse.Namespace) -> str | None:
    """--games where nobody could choose the game or play it."""
    if args.games is None or not _headless():
        return None
    if args.bot is None and not (args.online or args.host or args.join is not None):
        return ("--games needs --bot LEVEL, --online, --host or --join when running headless: "
                "nobody can choose a game from the menu")
    if args.auto is None:
        return "--games needs --auto LEVEL when running headless: nobody is there to play"
    return None


def _serve(args: argparse.Namespace) -> int:
    """``--serve``: the host without a window (``net.host.serve``), with its own defaults for what was not given."""
    from net.host.serve import run_from_args

    if args.log_level is None and args.verbose:
        args.log_level = "DEBUG"
    fill_serve_defaults(args)
    return run_from_args(args)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the game as the command line asks; the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _check_combinations(parser, args)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if args.serve:
        return _serve(args)
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # keep stdout for the --games lines
    if _headless():
        os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

    from ui.launch import ClientOptions, Play, run_client
    from ui.settings import NetSettings

    instant = args.instant or (args.games is not None and _headless() and args.auto_delay is None)
    play = (
        Play.BOT if args.bot else Play.ONLINE if args.online else Play.HOST if args.host
        else Play.JOIN if args.join is not None else None
    )
    server = args.server if args.online else (args.join if isinstance(args.join, str) else None)
    net = NetSettings(
        lan_port=args.port if args.port is not None else DEFAULT_LAN_PORT,
        lan_bind=args.bind if args.bind is not None else DEFAULT_LAN_BIND,
        discovery_port=args.discovery_port if args.discovery_port is not None else DEFAULT_DISCOVERY_PORT,
        broadcast=args.broadcast,
        session=SessionConfig(match_timeout=args.match_timeout) if args.match_timeout is not None else None,
    )
    options = ClientOptions(
        play=play,
        level=Level(args.bot) if args.bot is not None else None,  # choices: a level's name
        auto=Level(args.auto) if args.auto is not None else None,
        auto_delay=args.auto_delay,
        games=args.games,
        screenshot_dir=args.screenshot,
        size=args.size if args.size is not None else DEFAULT_SIZE,
        seed=args.seed,
        instant=instant,
        server=server,
        key=args.key,
        name=args.name,
        code=args.code or "",
        ca_file=str(args.ca_file) if args.ca_file is not None else None,
        net=net,
    )
    return run_client(options)


if __name__ == "__main__":
    sys.exit(main())

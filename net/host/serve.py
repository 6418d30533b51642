"""``python main.py --serve``: the host without a window, until Ctrl-C or SIGTERM.

``main.py`` wires it as::

    parser.add_argument("--serve", action="store_true", help=...)
    add_serve_arguments(parser)
    ...
    if args.serve:
        sys.exit(run_from_args(args))

``python -m net.host.serve [options]`` does the same on its own. Logs go through
``logging`` (one line per sign-in, match, game, leave and refusal); a port already in
use is one line on stderr and exit code 1; a stop by signal tells every player
"Server shutting down" (plain text op 2, as XOXO does) and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import ipaddress
import logging
import os
import signal
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from net.host.api import SHUTTING_DOWN
from net.host.config import HostConfig, HostError
from net.host.server import Host

if TYPE_CHECKING:
    from net.host.admin import AdminSettings

log = logging.getLogger("net.host")

APP_NAME = "tictactoe"
DEFAULTS = HostConfig()
# Python's cycle collector, once the host has started (BENCHMARKS.md, "The host under load" and "Issue
# 24"): the young generation is collected every GC_YOUNG allocations (not 700: fewer pauses, and most of
# a message's objects are gone by then), the middle one every second young collection, so that a
# middle collection walks at most about three young generations' worth of objects (with 10 young
# collections to one it was up to 110,000 objects: a 129 ms pause while 2,000 sockets arrived), and never
# a full collection on its own: one stops the loop for the whole heap (0.3 s at 2,000 sockets, seconds at
# 20,000). A closed connection and an ended match leave no cycle behind (front.py, playersocket.py,
# runtime.py), so the old generation grows with the crowd, not with time; what little does leak into it
# is collected every GC_FULL_SECONDS, a pause the log reports, and what survives is frozen, so the next
# full collection walks only what came since, not the whole crowd again. Young collections also run
# every GC_YOUNG_SECONDS on a clock (_collect_garbage says why).
GC_YOUNG = 5_000
GC_THRESHOLDS = (GC_YOUNG, 2, 1_000_000_000)
GC_FULL_SECONDS = 600.0
GC_YOUNG_SECONDS = 0.1


def default_data_dir() -> Path:
    """Where a headless host keeps its database and secret: the user data folder's ``host``."""
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME)) / "host"


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 <= value <= 86400:
        raise argparse.ArgumentTypeError("seconds must be between 0 and 86400")
    return value


def _whole_seconds(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of seconds") from None
    if not 0 <= value <= 3600:
        raise argparse.ArgumentTypeError("seconds must be between 0 and 3600")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("a port is 0 to 65535")
    return value


SERVE_DEFAULTS = {
    "bind": DEFAULTS.bind,
    "port": DEFAULTS.port,
    "key": DEFAULTS.server_key,
    "data": None,
    "turn_seconds": DEFAULTS.turn_seconds,
    "grace_seconds": DEFAULTS.grace_seconds,
    "rematch_seconds": DEFAULTS.rematch_seconds,
    "idle_seconds": DEFAULTS.idle_seconds,
    "tls_cert": None,
    "tls_key": None,
    "log_level": "INFO",
    "max_connections": None,  # None: derived from the descriptor limit
    "max_connections_per_address": DEFAULTS.max_connections_per_address,
    "sign_ins_per_minute": DEFAULTS.sign_ins_per_minute,
    "trusted_proxy": (),
    # The admin listener (issue 25): off unless --admin-port is given; logs as text unless --log-format json.
    "admin_port": None,
    "admin_bind": None,  # None: 127.0.0.1 (kept None so that --admin-bind without --admin-port can be told)
    "admin_password_file": None,
    "log_format": "text",
    "loop": None,  # None: TICTACTOE_LOOP, else auto
}
LOOP_ENV = "TICTACTOE_LOOP"  # auto, uvloop or asyncio: the event loop, where --loop is not given
LOOPS = ("auto", "uvloop", "asyncio")


def add_serve_arguments(
    parser: argparse.ArgumentParser,
    *,
    defaults: bool = True,
    title: str = "game server (--serve)",
    help_overrides: Mapping[str, str] | None = None,
) -> None:
    """Add the host's options (everything but ``--serve`` itself) to ``parser``.

    With ``defaults=False`` every option defaults to None, so a caller that shares some of
    them with other modes can tell a flag given from one left out; it then calls
    ``fill_serve_defaults`` before ``run_from_args``. ``help_overrides`` replaces the help
    of options by their dest.
    """
    d = SERVE_DEFAULTS
    helps = {
        "bind": f"address to listen on (default {d['bind']}; 0.0.0.0 for every interface)",
        "port": f"port (default {d['port']})",
        "key": f"server key clients must present (default {d['key']!r})",
        "data": "folder for the game database and token secret (default: the user data folder)",
        "turn_seconds": f"time for one move, 0 for no limit (default {d['turn_seconds']:g})",
        "grace_seconds": f"how long a dropped player's seat is held (default {d['grace_seconds']:g})",
        "rematch_seconds": f"time to ask for the next game after a result (default {d['rematch_seconds']})",
        "idle_seconds": ("between two of our clients, how long an open offer of the next game may wait before the "
                         f"match ends, 0 for no limit (default {d['idle_seconds']:g})"),
        "unrated": "rate no games (default: games of players paired by Find an opponent are rated)",
        "tls_cert": "PEM file of the server's certificate chain: serve HTTPS and WSS (needs --tls-key)",
        "tls_key": "PEM file of the certificate's private key (needs --tls-cert)",
        "log_level": f"how much to log (default {d['log_level']})",
        "max_connections": "open connections at most (default: what the descriptor limit leaves room for)",
        "max_connections_per_address": "open connections from one client address at most, 0 for no limit "
        f"(default {d['max_connections_per_address']})",
        "sign_ins_per_minute": "sign-ins and refreshes a minute from one client address, 0 for no limit "
        f"(default {d['sign_ins_per_minute']})",
        "trusted_proxy": "a reverse proxy (address or network) whose X-Forwarded-For names the client; "
        "repeat for several (default: none, the header is ignored)",
        "loop": f"the event loop: uvloop's where it is installed (auto, the default; not on Windows), uvloop, or "
        f"asyncio's own (default from {LOOP_ENV}, else auto)",
    }
    helps.update(help_overrides or {})

    def default(dest: str) -> object:
        return d[dest] if defaults else None

    g = parser.add_argument_group(title)
    g.add_argument("--bind", default=default("bind"), metavar="ADDR", help=helps["bind"])
    g.add_argument("--port", type=_port, default=default("port"), metavar="N", help=helps["port"])
    g.add_argument("--key", default=default("key"), metavar="KEY", help=helps["key"])
    g.add_argument("--data", type=Path, default=None, metavar="DIR", help=helps["data"])
    g.add_argument("--turn-seconds", type=_seconds, default=default("turn_seconds"), metavar="N",
                   help=helps["turn_seconds"])
    g.add_argument("--grace-seconds", type=_seconds, default=default("grace_seconds"), metavar="N",
                   help=helps["grace_seconds"])
    g.add_argument("--rematch-seconds", type=_whole_seconds, default=default("rematch_seconds"), metavar="N",
                   help=helps["rematch_seconds"])
    g.add_argument("--idle-seconds", type=_seconds, default=default("idle_seconds"), metavar="N",
                   help=helps["idle_seconds"])
    g.add_argument("--unrated", action="store_true", default=None, help=helps["unrated"])
    g.add_argument("--tls-cert", type=Path, default=None, metavar="PEM", help=helps["tls_cert"])
    g.add_argument("--tls-key", type=Path, default=None, metavar="PEM", help=helps["tls_key"])
    g.add_argument("--log-level", default=default("log_level"), choices=["DEBUG", "INFO", "WARNING", "ERROR"],
                   help=helps["log_level"])
    g.add_argument("--max-connections", type=_count(1), default=None, metavar="N", help=helps["max_connections"])
    g.add_argument("--max-connections-per-address", type=_count(0), default=default("max_connections_per_address"),
                   metavar="N", help=helps["max_connections_per_address"])
    g.add_argument("--sign-ins-per-minute", type=_count(0), default=default("sign_ins_per_minute"), metavar="N",
                   help=helps["sign_ins_per_minute"])
    g.add_argument("--trusted-proxy", action="append", type=_network, default=None, metavar="ADDR",
                   help=helps["trusted_proxy"])
    g.add_argument("--loop", choices=LOOPS, default=None, help=helps["loop"])
    _add_admin_arguments(parser, default)


def _add_admin_arguments(parser: argparse.ArgumentParser, default: Callable[[str], object]) -> None:
    """The admin listener's options and the log format (docs/HOST.md, "Operating it")."""
    a = parser.add_argument_group("admin listener: metrics and console (with --serve)")
    a.add_argument("--admin-port", type=_port, default=None, metavar="N",
                   help="serve Prometheus metrics (/metrics) and the operators' console (/console) on this port; "
                   "needs a password of 12 characters or more in TICTACTOE_ADMIN_PASSWORD or --admin-password-file")
    a.add_argument("--admin-bind", default=None, metavar="ADDR",
                   help="address of the admin listener (default 127.0.0.1; elsewhere /metrics asks for the password too)")
    a.add_argument("--admin-password-file", type=Path, default=None, metavar="FILE",
                   help="file holding the admin password (instead of TICTACTOE_ADMIN_PASSWORD)")
    a.add_argument("--log-format", default=default("log_format"), choices=["text", "json"],
                   help="text lines (default) or one JSON object a line, for a log shipper")


def fill_serve_defaults(args: argparse.Namespace) -> None:
    """Give every host option left out (None) its default."""
    for dest, value in SERVE_DEFAULTS.items():
        if getattr(args, dest, None) is None:
            setattr(args, dest, value)


def _count(least: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not least <= value <= 1_000_000:
            raise argparse.ArgumentTypeError(f"must be {least} to 1000000")
        return value

    return parse


def _network(text: str) -> str:
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an IP address or network (such as 10.0.0.0/8)") from None
    return text


def config_from_args(args: argparse.Namespace) -> HostConfig:
    """The HostConfig the parsed options describe."""
    return HostConfig(
        bind=args.bind,
        port=args.port,
        server_key=args.key,
        data_dir=args.data if args.data is not None else default_data_dir(),
        turn_seconds=args.turn_seconds,
        grace_seconds=args.grace_seconds,
        rematch_seconds=args.rematch_seconds,
        idle_seconds=args.idle_seconds or None,
        ratings=not args.unrated,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        max_connections=args.max_connections,
        max_connections_per_address=args.max_connections_per_address,
        sign_ins_per_minute=args.sign_ins_per_minute,
        trusted_proxies=tuple(args.trusted_proxy or ()),
    )


def loop_factory(
    choice: str | None = None, environ: Mapping[str, str] = os.environ
) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """The event loop a headless host runs on: a factory for uvloop's, or None for asyncio's own.

    ``choice`` (``--loop``; None: ``TICTACTOE_LOOP``, else auto): ``auto`` takes uvloop
    where it is installed, except on Windows where it does not run; ``uvloop`` insists
    (HostError if it cannot be had); ``asyncio`` never takes it. The host behaves the same
    on either (the test suite runs on both); uvloop's is several times cheaper a message.
    """
    choice = choice or environ.get(LOOP_ENV, "").strip().lower() or "auto"
    if choice not in LOOPS:
        raise HostError(f"{LOOP_ENV}={choice!r}: the event loop is one of {', '.join(LOOPS)}")
    if choice == "asyncio" or (choice == "auto" and sys.platform == "win32"):
        return None
    try:
        import uvloop
    except ImportError:
        if choice == "uvloop":
            raise HostError("the uvloop event loop was asked for but is not installed (pip install uvloop)") from None
        return None
    return uvloop.new_event_loop


def admin_from_args(args: argparse.Namespace, environ: Mapping[str, str] = os.environ) -> AdminSettings | None:
    """The admin listener the options ask for (None: none); AdminConfigError (a ValueError) saying what is wrong."""
    from net.host.admin import AdminConfigError, AdminSettings, read_password

    if args.admin_port is None:
        stray = [flag for flag, dest in (("--admin-bind", "admin_bind"), ("--admin-password-file", "admin_password_file"))
                 if getattr(args, dest, None) is not None]
        if stray:
            raise AdminConfigError(f"{stray[0]} goes with --admin-port")
        return None
    if args.admin_port == args.port and args.port != 0:
        raise AdminConfigError(f"the admin port must differ from the players' port ({args.port})")
    password = read_password(environ, args.admin_password_file)
    return AdminSettings(args.admin_port, password, args.admin_bind or "127.0.0.1")


async def serve_until_stopped(config: HostConfig, admin: AdminSettings | None = None) -> None:
    """Run a host (and its admin listener) until SIGINT or SIGTERM, then stop politely. HostError if it cannot start."""
    host = Host(config)
    await host.start()
    listener = None
    if admin is not None:
        from net.host.admin import AdminListener

        listener = AdminListener(host, admin)
        try:
            await listener.start()
        except HostError:
            await host.stop(SHUTTING_DOWN)
            raise
    collector = asyncio.create_task(_collect_garbage())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
        except (NotImplementedError, RuntimeError):  # Windows, or not the main thread: Ctrl-C still raises
            pass
    try:
        await stop.wait()
        log.info("stopping: telling players %r", SHUTTING_DOWN)
    finally:
        collector.cancel()
        for sig in installed:
            loop.remove_signal_handler(sig)
        if listener is not None:
            await listener.stop()
        await host.stop(SHUTTING_DOWN)


async def _collect_garbage(every: float = GC_FULL_SECONDS, young: float = GC_YOUNG_SECONDS) -> None:
    """Keep the cycle collector off the hot path for as long as the host runs (see GC_THRESHOLDS).

    Modules, the config and the listening socket live as long as the process: frozen, they
    are out of every later collection. Then only young and middle collections run on their
    own, and a full one every ``every`` seconds, after which what survived is frozen too
    (cycles among frozen objects are never collected: the host makes none that outlive their
    use); the thresholds are put back and everything unfrozen when the host stops.

    And a young collection every ``young`` seconds: Python starts one when allocations
    outnumber deallocations by the threshold, and every old object freed counts as a
    deallocation, so while a crowd's matches and sockets come and go the count stays low
    and the young generation grows unchecked (400,000 objects, a 450 ms pause, at 5,000
    pairs) until one collection walks it all. On a clock it holds what a tenth of a second
    leaves behind.
    """
    before = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    loop = asyncio.get_running_loop()
    full_at = loop.time() + every
    try:
        while True:
            await asyncio.sleep(min(young, max(0.0, full_at - loop.time())))
            start = loop.time()
            if start < full_at:
                # the middle generation when its turn has come, as an automatic young collection does
                gc.collect(1 if gc.get_count()[1] >= GC_THRESHOLDS[1] else 0)
                continue
            found = gc.collect()
            gc.freeze()
            full_at = loop.time() + every
            log.debug("full garbage collection: %d objects freed in %.0f ms", found, 1000 * (loop.time() - start))
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


def _setup_logging(level: str, log_format: str = "text") -> None:
    # Neither format shows a record's thread or process: not looked up for every line (1.3 of 8.5 us a line).
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    root = logging.getLogger()
    if not root.handlers:
        if log_format == "json":
            from net.host.jsonlog import JsonFormatter

            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(JsonFormatter())
            root.addHandler(handler)
        else:
            logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    logging.getLogger("net.host").setLevel(level)


def run(config: HostConfig, log_level: str = "INFO", *, admin: AdminSettings | None = None,
        log_format: str = "text", loop: str | None = None) -> int:
    """Serve until stopped; the process exit code (0 after a clean stop, 1 if the host cannot start)."""
    _setup_logging(log_level, log_format)
    try:
        with asyncio.Runner(loop_factory=loop_factory(loop)) as runner:
            runner.run(serve_until_stopped(config, admin))
    except HostError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # only where signal handlers cannot be installed
        pass
    return 0


def run_from_args(args: argparse.Namespace) -> int:
    """What ``main.py --serve`` calls with its parsed options: the process exit code."""
    try:
        config = config_from_args(args)
        admin = admin_from_args(args)  # an admin listener without a (long enough) password stops here
    except ValueError as exc:  # e.g. an empty --key
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return run(config, args.log_level, admin=admin, log_format=args.log_format or "text", loop=args.loop)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m net.host.serve [options]``."""
    parser = argparse.ArgumentParser(prog="python -m net.host.serve", description="Run the tic-tac-toe host headless.")
    add_serve_arguments(parser)
    return run_from_args(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())

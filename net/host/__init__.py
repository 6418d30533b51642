"""The authoritative host: Nakama's sign-in and realtime contract around ``XoxoMatch``.

``Host(HostConfig(...))`` is embeddable (``await start()``, ``await stop()``, ``stats()``);
``net.host.serve`` runs it headless for ``python main.py --serve``. See docs/HOST.md.
"""

from net.host.config import HostConfig, HostError, PortInUseError
from net.host.server import Host, HostStats

__all__ = ["Host", "HostConfig", "HostError", "HostStats", "PortInUseError"]

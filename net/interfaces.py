"""The machine's IPv4 interfaces, read without sending anything.

``ipv4_interfaces`` lists each IPv4 address with its interface and directed broadcast
address, from iproute2's ``ip -j addr`` or, failing that, from the Linux ``SIOCGIFCONF``
ioctls; ``lan_addresses`` keeps the addresses that others on the LAN can type to join.
The LAN announcer (``net.announcer``) sends its beacons to the broadcast addresses found here.
"""

from __future__ import annotations

import array
import ipaddress
import json
import shutil
import socket
import struct
import subprocess
import sys
from dataclasses import dataclass
from typing import Any, TypeGuard


@dataclass(frozen=True)
class Interface:
    """One IPv4 address of a network interface, with its directed broadcast address if it has one."""

    name: str
    address: str
    prefixlen: int
    broadcast: str | None
    is_up: bool
    is_loopback: bool


def parse_ip_addr_json(text: str) -> list[Interface]:
    """The IPv4 addresses in the output of ``ip -j addr show``; unreadable input gives []."""
    try:
        links = json.loads(text)
    except ValueError:
        return []
    if not isinstance(links, list):
        return []
    out: list[Interface] = []
    for link in links:
        if not isinstance(link, dict) or not isinstance(link.get("ifname"), str):
            continue
        raw_flags = link.get("flags")
        flags: list[Any] = raw_flags if isinstance(raw_flags, list) else []
        is_up = "UP" in flags
        is_loopback = "LOOPBACK" in flags or link.get("link_type") == "loopback"
        can_broadcast = "BROADCAST" in flags
        raw_infos = link.get("addr_info")
        infos: list[Any] = raw_infos if isinstance(raw_infos, list) else []
        for info in infos:
            if not isinstance(info, dict) or info.get("family") != "inet":
                continue
            address, prefixlen, broadcast = info.get("local"), info.get("prefixlen"), info.get("broadcast")
            if not is_ipv4(address) or not isinstance(prefixlen, int) or not 0 <= prefixlen <= 32:
                continue
            out.append(Interface(
                name=str(info.get("label") or link["ifname"]),
                address=address,
                prefixlen=prefixlen,
                broadcast=broadcast if can_broadcast and is_ipv4(broadcast) else None,
                is_up=is_up,
                is_loopback=is_loopback or ipaddress.IPv4Address(address).is_loopback,
            ))
    return out


def ip_command_interfaces() -> list[Interface] | None:
    """Interfaces as iproute2's ``ip -j -4 addr show`` lists them; None when ``ip`` is missing or fails."""
    ip = shutil.which("ip")
    if ip is None:
        return None
    try:
        done = subprocess.run([ip, "-j", "-4", "addr", "show"], capture_output=True, text=True, timeout=3, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0 or not done.stdout.strip():
        return None
    return parse_ip_addr_json(done.stdout)


_SIOCGIFCONF = 0x8912
_SIOCGIFFLAGS = 0x8913
_SIOCGIFBRDADDR = 0x8919
_SIOCGIFNETMASK = 0x891B
_IFF_UP, _IFF_BROADCAST, _IFF_LOOPBACK = 0x1, 0x2, 0x8
_IFNAMSIZ = 16


def ioctl_interfaces() -> list[Interface] | None:
    """Interfaces from the Linux SIOCGIFCONF family of ioctls; None off Linux or when they fail."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import fcntl
    except ImportError:
        return None
    ifreq_size = 40 if struct.calcsize("P") == 8 else 32  # struct ifreq: name[16] + a 24 or 16 byte union
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            records = _ifconf(sock, fcntl, ifreq_size)
            out = []
            for name, address in records:
                request = name.encode()[:_IFNAMSIZ].ljust(ifreq_size, b"\0")
                flags = struct.unpack_from("H", fcntl.ioctl(sock.fileno(), _SIOCGIFFLAGS, request), _IFNAMSIZ)[0]
                netmask = socket.inet_ntoa(fcntl.ioctl(sock.fileno(), _SIOCGIFNETMASK, request)[20:24])
                broadcast = None
                if flags & _IFF_BROADCAST:
                    broadcast = socket.inet_ntoa(fcntl.ioctl(sock.fileno(), _SIOCGIFBRDADDR, request)[20:24])
                    if broadcast == "0.0.0.0":
                        broadcast = None
                out.append(Interface(
                    name=name,
                    address=address,
                    prefixlen=ipaddress.IPv4Network(f"0.0.0.0/{netmask}").prefixlen,
                    broadcast=broadcast,
                    is_up=bool(flags & _IFF_UP),
                    is_loopback=bool(flags & _IFF_LOOPBACK) or ipaddress.IPv4Address(address).is_loopback,
                ))
            return out
    except (OSError, ValueError, struct.error):
        return None


def _ifconf(sock: socket.socket, fcntl: Any, ifreq_size: int) -> list[tuple[str, str]]:
    """(interface label, IPv4 address) pairs from SIOCGIFCONF, growing the buffer until all fit."""
    count = 32
    while True:
        buf = array.array("B", bytes(count * ifreq_size))
        pointer, _ = buf.buffer_info()
        ifconf = struct.pack("iP", len(buf), pointer)  # struct ifconf { int ifc_len; char *ifc_buf; }
        length = struct.unpack("iP", fcntl.ioctl(sock.fileno(), _SIOCGIFCONF, ifconf))[0]
        if length < len(buf) or count >= 4096:
            break
        count *= 4
    data = buf.tobytes()[:length]
    pairs = []
    for offset in range(0, length - ifreq_size + 1, ifreq_size):
        name = data[offset:offset + _IFNAMSIZ].split(b"\0", 1)[0].decode(errors="replace")
        # the union holds a sockaddr_in: family (2 bytes), port (2), address (4)
        pairs.append((name, socket.inet_ntoa(data[offset + 20:offset + 24])))
    return pairs


def ipv4_interfaces() -> list[Interface]:
    """The machine's IPv4 addresses with their interfaces; [] when neither ``ip`` nor the ioctls work.

    Blocking (it may run ``ip`` for a few milliseconds): call it off the render thread.
    """
    for method in (ip_command_interfaces, ioctl_interfaces):
        found = method()
        if found is not None:
            return found
    return []


def lan_addresses() -> list[str]:
    """The non-loopback IPv4 addresses of interfaces that are up: what others on the LAN can type to join.

    Sends nothing. Off Linux (no ``ip``, no ioctls) it falls back to what the machine's
    own host name resolves to.
    """
    interfaces = ip_command_interfaces()
    if interfaces is None:
        interfaces = ioctl_interfaces()
    if interfaces is not None:
        addresses = [i.address for i in interfaces if i.is_up and not i.is_loopback]
    else:
        addresses = _hostname_addresses()
    return list(dict.fromkeys(a for a in addresses if not ipaddress.IPv4Address(a).is_loopback))


def _hostname_addresses() -> list[str]:
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET, socket.SOCK_DGRAM)
    except OSError:
        return []
    return [str(info[4][0]) for info in infos if is_ipv4(info[4][0])]


def is_ipv4(value: Any) -> TypeGuard[str]:
    """Whether ``value`` is text holding a dotted IPv4 address."""
    if not isinstance(value, str):
        return False
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        return False
    return True

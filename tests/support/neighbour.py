"""Another machine on this host's network, as far as packets can tell: a network namespace joined
to the host by a veth pair, with an address of its own and this host as its router. What it
reaches is what a neighbour on the LAN would reach, and nothing of it outlives the scenario.

Making one needs root (or `sudo -n`), as the engine's set-up does.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

# Private addresses no Docker pool hands out: one /30 per process, so parallel workers differ.
_NETWORK = "10.254"


def _as_root(*command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    prefix = [] if os.geteuid() == 0 else ["sudo", "-n"]
    try:
        return subprocess.run([*prefix, *command], capture_output=True, text=True, check=check, timeout=30)
    except subprocess.CalledProcessError as error:
        raise RuntimeError(
            f"{' '.join(command)} exited {error.returncode}: {error.stderr.strip()} "
            "(a neighbour's network namespace needs root, or sudo -n)"
        ) from error


@dataclass(frozen=True)
class Neighbour:
    namespace: str
    address: str  # the neighbour's own
    router: str  # this host's address on the link between them

    def connects(self, host: str, port: int, seconds: float = 3.0) -> bool:
        """Whether a TCP connection from the neighbour to host:port is accepted within `seconds`
        (a packet dropped on the way gets no answer at all: the attempt times out)."""
        probe = (
            "import socket, sys\n"
            "try:\n"
            f"    socket.create_connection(({host!r}, {port}), timeout={seconds}).close()\n"
            "except OSError:\n"
            "    sys.exit(1)\n"
        )
        done = _as_root("ip", "netns", "exec", self.namespace, "python3", "-c", probe, check=False)
        return done.returncode == 0


@contextlib.contextmanager
def lan_neighbour() -> Iterator[Neighbour]:
    """A neighbour for the duration of the block; removed afterwards, also after a failure."""
    pid = os.getpid()
    namespace, host_end, far_end = f"tut-neighbour-{pid}", f"tutnh{pid % 10**8}", f"tutnn{pid % 10**8}"
    subnet = f"{_NETWORK}.{pid % 250}.{(pid // 250) % 64 * 4}"
    base = subnet.rsplit(".", 1)
    router, address = f"{base[0]}.{int(base[1]) + 1}", f"{base[0]}.{int(base[1]) + 2}"
    _as_root("ip", "netns", "add", namespace)
    try:
        _as_root("ip", "link", "add", host_end, "type", "veth", "peer", "name", far_end)
        _as_root("ip", "link", "set", far_end, "netns", namespace)
        _as_root("ip", "addr", "add", f"{router}/30", "dev", host_end)
        _as_root("ip", "link", "set", host_end, "up")
        inside = ("ip", "netns", "exec", namespace)
        _as_root(*inside, "ip", "addr", "add", f"{address}/30", "dev", far_end)
        _as_root(*inside, "ip", "link", "set", far_end, "up")
        _as_root(*inside, "ip", "link", "set", "lo", "up")
        _as_root(*inside, "ip", "route", "add", "default", "via", router)
        yield Neighbour(namespace, address, router)
    finally:
        # Its end of the pair goes with the namespace, and the host's end with it.
        _as_root("ip", "netns", "del", namespace, check=False)
        _as_root("ip", "link", "del", host_end, check=False)

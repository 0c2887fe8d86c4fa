"""Clients that send part of a request and then nothing: slow, stalled or hostile."""

from __future__ import annotations

import contextlib
import select
import socket
from collections.abc import Iterator


@contextlib.contextmanager
def held_connections(port: int, count: int, opening: bytes) -> Iterator[list[socket.socket]]:
    """`count` connections to 127.0.0.1:`port`, each of which sends `opening` and then nothing
    (closed when the block ends)."""
    clients: list[socket.socket] = []
    try:
        for _ in range(count):
            client = socket.create_connection(("127.0.0.1", port), timeout=5)
            client.sendall(opening)
            clients.append(client)
        yield clients
    finally:
        for client in clients:
            client.close()


def answered_or_closed(clients: list[socket.socket]) -> list[socket.socket]:
    """Those of `clients` the server has answered or closed: readable at once. (poll, not
    select: a thousand sockets have descriptors past select's 1024.)"""
    poller = select.poll()
    by_descriptor = {client.fileno(): client for client in clients}
    for descriptor in by_descriptor:
        poller.register(descriptor, select.POLLIN)
    return [by_descriptor[descriptor] for descriptor, _ in poller.poll(0)]

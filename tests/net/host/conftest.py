"""Fixtures for the admin listener's tests (the host's own are in tests/net/conftest.py).

``admin_factory(**overrides) -> (RunningHost, AdminListener)``
    Start a host (``host_factory``'s overrides) and an admin listener beside it on a
    port the system picks, with ``adminclient.PASSWORD``; both stopped at teardown.
"""

from __future__ import annotations

import pytest

from net.host.admin import AdminListener, AdminSettings
from tests.net.host.adminclient import PASSWORD


@pytest.fixture
def admin_factory(host_factory):
    started = []

    def start(**overrides):
        host = host_factory(**overrides)
        listener = AdminListener(host.host, AdminSettings(0, PASSWORD))
        host.run(listener.start())
        started.append((host, listener))
        return host, listener

    yield start
    for host, listener in started:
        if not host.loop.is_closed():
            host.run(listener.stop())

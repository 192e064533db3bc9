"""Fixtures the sync, key and fleet tests share, and the fault matrix's summary: every test marked
`fault` (tests/test_adversarial.py, the sync fault matrix) is one case; the suite ends by saying how
many ran and whether all held."""

from __future__ import annotations

import pytest

from feed_servers import Nginx
from fleet_servers import Mosquitto
from kiosk.delivery import signing


@pytest.fixture(scope="module")
def nginx(tmp_path_factory):
    """A real nginx on a free 127.0.0.1 port, one per test module."""
    server = Nginx(tmp_path_factory.mktemp("nginx"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def broker(request, tmp_path_factory):
    """A real Mosquitto (TLS, accounts, ACLs) on 127.0.0.1, one per test module, with the accounts
    of the module's BROKER_PASSWORDS (name -> password)."""
    server = Mosquitto(tmp_path_factory.mktemp("mosquitto"), request.module.BROKER_PASSWORDS)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def key():
    return signing.new_private_key()

_cases: dict[str, str] = {}


def pytest_configure(config):
    config.addinivalue_line("markers", "fault: a case of the fault matrix (counted in the summary)")


def pytest_runtest_logreport(report):
    if "fault" not in report.keywords:
        return
    if report.failed:
        _cases[report.nodeid] = "failed"
    elif report.when == "call" or (report.when == "setup" and report.skipped):
        _cases.setdefault(report.nodeid, "skipped" if report.skipped else "held")


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter):
    if not _cases:
        return
    counts = {state: sum(1 for value in _cases.values() if value == state) for state in ("held", "failed", "skipped")}
    ran = counts["held"] + counts["failed"]
    verdict = "all held" if not counts["failed"] else f"{counts['failed']} failed"
    skipped = f" ({counts['skipped']} slow cases not run: ADVERSARIAL_FULL=1)" if counts["skipped"] else ""
    terminalreporter.write_sep("=", f"fault matrix: {ran} cases, {verdict}{skipped}")

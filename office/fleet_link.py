"""The console's side of the fleet link: the office's store and one connection to the ward's broker,
opened when first needed and kept (the same OfficeLink as `kiosk fleet`). No web framework here, so
the console's shared helpers (office.web) can hold one without an import cycle."""

from __future__ import annotations

import threading
from pathlib import Path

from kiosk.fleet.broker import BrokerAccount, BrokerProblem
from kiosk.fleet.office import OfficeLink, SqliteFleetStore
from kiosk.fleet.topics import ANNOUNCE_SPREAD

CONNECT_WAIT = 5.0  # seconds a button waits for the broker before saying it is out of reach
NO_BROKER = ("Bảng điều khiển chưa được nối với máy chủ MQTT của phường, nên trang này chỉ hiện những gì "
             "đã lưu. Hai nút “Đồng bộ ngay” và “Chụp màn hình” cần máy chủ: hãy khởi động bảng điều khiển "
             "với --fleet-broker (xem README).")


class FleetOffice:
    """The office's store and, when a broker is configured, one connection to it for the console."""

    def __init__(self, db: Path, account: BrokerAccount | None = None, problem: str | None = None):
        self.db = Path(db)
        self.store = SqliteFleetStore(self.db)  # OSError or sqlite3.Error when it cannot be opened
        self.account = account
        self.problem = problem  # why the broker settings given cannot be used, in words
        self._link: OfficeLink | None = None
        self._lock = threading.Lock()

    def link(self) -> OfficeLink | None:
        """The connection, started when first asked for (it connects, and reconnects, by itself)."""
        if self.account is None or self.problem:
            return None
        with self._lock:
            if self._link is None:
                try:
                    self._link = OfficeLink(self.account, self.store)
                except BrokerProblem as problem:
                    self.problem = str(problem)
            return self._link

    def connected(self, wait: float) -> tuple[OfficeLink | None, str]:
        """(the link, "") when the broker answers within `wait` seconds, else (None, why not)."""
        link = self.link()
        if link is None:
            return None, self.problem or NO_BROKER
        if not link.online(wait):
            return None, sentence(link.why_offline())
        return link, ""

    def announce(self, version: int) -> str:
        """After a publication from the console: every display on the link syncs within seconds
        (as `kiosk fleet announce`). What happened, in a sentence for the publisher."""
        if self.account is None:
            return "Các màn hình nhận bản này ở lần đồng bộ tới."
        link, problem = self.connected(CONNECT_WAIT)
        if link is None:
            return f"Chưa báo được các màn hình ({problem.rstrip('.')}): chúng nhận bản này ở lần đồng bộ tới."
        link.announce(version, ANNOUNCE_SPREAD)
        return f"Đã báo các màn hình đang kết nối: chúng đồng bộ trong khoảng {ANNOUNCE_SPREAD:g} giây."

    def close(self) -> None:
        with self._lock:
            if self._link is not None:
                self._link.close()
                self._link = None
        self.store.close()


def sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")

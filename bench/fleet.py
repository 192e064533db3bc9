"""Benchmark: a publish reaching 200 displays through the fleet link.

200 simulated displays (each the sync thread and the fleet link of `kiosk run`, no window; 4
worker processes of 50) on the real Mosquitto (deploy/mosquitto/'s TLS, accounts and ACL) and the
real nginx, on 127.0.0.1. Once every display has version 1 installed and is online, the office
publishes version 2 (one picture of 20 changed) and announces it (`kiosk fleet announce`, spread
over --spread seconds); the benchmark prints the time from the start of the publish to the last
display's install (and the publish's own share), the broker's and the web server's requests in that time, and whether each display fetched
only what changed (the manifest, its signature, feed.yaml and the one picture).
Target (issue 15): all 200 within 30 s. Run: python bench/fleet.py [--displays N] [--spread S]"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import yaml

from common import REPO, machine, result

import feed_servers  # noqa: E402  (the path is set by common)

TARGET_SECONDS = 30.0
PICTURES = 20
PER_WORKER = 50


def worker(configs: list[Path]) -> None:
    """Run these displays in this process until SIGTERM."""
    import logging
    import signal
    import threading

    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
    from kiosk.fleet.display import DisplayLink
    from kiosk.settings import load_settings
    from screens.display import SyncThread

    logging.disable(logging.INFO)
    running = []
    for config in configs:
        settings, problems = load_settings(config)
        assert settings is not None, problems
        sync = SyncThread(settings)
        link = DisplayLink(settings, on_sync_now=sync.wake, settings_file=config)
        sync.start()
        link.start()
        running.append((sync, link))
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    stopping.wait()
    for sync, link in running:
        link.stop(timeout=0.5)
        sync.stop()


def installed_versions(states: list[Path]) -> list[int | None]:
    from kiosk.delivery.store import Store
    found = []
    for state in states:
        installed = Store(state).installed()
        found.append(installed.manifest.version if installed else None)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--displays", type=int, default=200)
    parser.add_argument("--spread", type=float, default=10.0, help="seconds the displays' syncs are spread over")
    parser.add_argument("--worker", nargs="+", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker)
        return 0

    from fleet_servers import Mosquitto
    from kiosk.delivery import signing
    from kiosk.fleet.broker import BrokerAccount
    from kiosk.fleet.office import OfficeLink, SqliteFleetStore
    from kiosk.delivery.publish import publish

    names = [f"man-hinh-{number:03}" for number in range(1, args.displays + 1)]
    with tempfile.TemporaryDirectory(prefix="bench-fleet-") as temporary:
        tmp = Path(temporary)
        # Every display keeps its connection to nginx open between requests: room for all of them.
        feed_servers.NGINX_CONF = feed_servers.NGINX_CONF.replace("worker_connections 64", "worker_connections 2048")
        (tmp / "nginx").mkdir()
        nginx = feed_servers.Nginx(tmp / "nginx")
        accounts = {"office": "office-bench", **{name: f"pw-{name}" for name in names}}
        broker = Mosquitto(tmp / "broker", accounts)
        workers = []
        office = None
        try:
            key = signing.new_private_key()
            site, url = nginx.site("feed")
            publish(feed_servers.make_feed(tmp / "src-1", PICTURES, version=1), site, key)
            configs, states = [], []
            for name in names:
                folder = tmp / "displays" / name
                folder.mkdir(parents=True)
                (folder / "password").write_text(accounts[name])
                config = folder / "display.yaml"
                config.write_text(yaml.safe_dump({
                    "id": name, "feed_url": url, "public_key": signing.public_key_text(key),
                    "state_dir": str(folder / "state"), "poll_seconds": 3600, "fleet_url": broker.url,
                    "fleet_password_file": str(folder / "password"), "fleet_ca_file": str(broker.ca)}))
                configs.append(config)
                states.append(folder / "state")
            store = SqliteFleetStore(tmp / "office.sqlite")
            office = OfficeLink(BrokerAccount(broker.url, "office", accounts["office"], str(broker.ca)), store,
                                listener=True)
            assert office.wait_connected(10)
            env = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{REPO / 'tests'}"}
            for start in range(0, len(configs), PER_WORKER):
                workers.append(subprocess.Popen([sys.executable, __file__, "--worker",
                                                 *map(str, configs[start:start + PER_WORKER])], env=env))
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:
                online = sum(row.online for row in store.displays())
                if online == len(names) and all(version == 1 for version in installed_versions(states)):
                    break
                time.sleep(1)
            else:
                print(f"not ready: {online} online, {Counter(installed_versions(states))}", file=sys.stderr)
                return 1
            time.sleep(2)  # the statuses that follow the first install have been sent

            source = feed_servers.make_feed(tmp / "src-2", PICTURES, version=2, seeds={PICTURES - 1: 999})
            http_before = len(nginx.requests())
            broker_before = broker.publishes_received()
            published = time.monotonic()
            publish(source, site, key)
            publishing = time.monotonic() - published
            office.announce(2, args.spread)
            last = None
            while time.monotonic() < published + 120:
                versions = installed_versions(states)
                if all(version == 2 for version in versions):
                    last = time.monotonic() - published
                    break
                time.sleep(0.2)
            http = nginx.requests()[http_before:]
            broker_publishes = broker.publishes_received() - broker_before
        finally:
            if office is not None:
                office.close()
            for process in workers:
                process.terminate()
            for process in workers:
                process.wait(30)
            broker.stop()
            nginx.stop()

    done = sum(version == 2 for version in installed_versions(states)) if last is None else len(names)
    paths = Counter(request.path.rsplit("/", 1)[-1] for request in http)
    pictures = [name for name in paths if name.endswith(".png")]  # published under their SHA-256
    expected = {"manifest.json", "manifest.json.sig", "feed.yaml", *pictures}
    only_changed = (len(pictures) == 1 and set(paths) == expected
                    and all(paths[name] == len(names) for name in expected))
    print(f"Machine: {machine()}")
    print(f"{len(names)} displays, {PICTURES} pictures, one changed; syncs spread over {args.spread:g} s")
    print(f"Publish to last install: {last:.1f} s (the publish itself {publishing:.1f} s)" if last is not None else
          f"Only {done} of {len(names)} installed within 120 s")
    print(f"Web server: {len(http)} requests ({', '.join(f'{count} {name[:20]}' for name, count in sorted(paths.items()))}),"
          f" {sum(request.body_bytes for request in http) / 1024 / 1024:.1f} MB")
    print(f"Broker: {broker_publishes} messages received from the clients in that time")
    print(f"Each display fetched only what changed: {'yes' if only_changed else 'NO'}")
    met = last is not None and last <= TARGET_SECONDS and only_changed
    result(f"fleet: publish to {len(names)} displays", f"{last:.1f} s" if last is not None else "not all", "-", "-",
           f"≤ {TARGET_SECONDS:g} s", met)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())

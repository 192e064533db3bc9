"""What the benchmarks share: the repository and its test helpers on the import path, the machine
they ran on, and one result line each, which `python -m bench` gathers into the README's table."""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
for _path in (str(REPO / "tests"), str(REPO)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

RESULT = "RESULT |"


def machine() -> str:
    """The processor, cores, memory and Python: the figures mean little without them."""
    info = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace") if Path("/proc/cpuinfo").exists() else ""
    cpu = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")),
               platform.processor() or platform.machine())
    memory = ""
    if Path("/proc/meminfo").exists():
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kb / 1024 / 1024:.0f} GB RAM"
    return f"{cpu}, {os.cpu_count()} cores{memory}; {platform.system()} {platform.release()}; Python {platform.python_version()}"


def result(name: str, measured: str, baseline: str, ratio: str, target: str, met: bool) -> None:
    """The benchmark's verdict, one line; `python -m bench` collects these lines into a table."""
    print(f"{RESULT} {name} | {measured} | {baseline} | {ratio} | {target} | {'met' if met else 'MISSED'}")


def run_hello(size: str, then=None) -> None:
    """A bare Kivy app whose window shows one label, with Kivy's own settings but the window's size:
    the baseline of the start and idle benchmarks. then(), if given, runs at its first clock tick."""
    from kivy.config import Config

    width, height = size.split("x")
    Config.set("graphics", "width", width)
    Config.set("graphics", "height", height)
    from kivy.app import App
    from kivy.clock import Clock
    from kivy.uix.label import Label

    class Hello(App):
        def build(self):
            if then is not None:
                Clock.schedule_once(lambda *_: then(), 0)
            return Label(text="hello")

    Hello().run()


def run_harness_here(config_path: str, on_start) -> int:
    """Child process: tests/kiosk_harness.py run in this process, on_start(app, settings) called once
    the frame is on screen (to add a sync thread beside it, or a look at its memory at the end)."""
    import kiosk_harness as harness

    return harness.main(config_path, on_start=on_start)


def run_harness_child(script: str, tmp: Path, config: dict, timeout: float, env: dict | None = None) -> dict:
    """Run `script --child CONFIG` (which calls run_harness_here) on the harness config; its record."""
    import json
    import subprocess

    out = tmp / "shown.json"
    config_path = tmp / "harness.json"
    config_path.write_text(json.dumps({**config, "out": str(out)}), encoding="utf-8")
    done = subprocess.run([sys.executable, script, "--child", str(config_path)], cwd=REPO,
                          env=dict(os.environ, XDG_STATE_HOME=str(tmp / "state"), **(env or {})),
                          capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    return json.loads(out.read_text(encoding="utf-8"))

"""The display's figures in Prometheus' text exposition format, for node_exporter's textfile
collector (`kiosk metrics --out FILE`, from a timer)."""

from __future__ import annotations

import math
from pathlib import Path

from kiosk.delivery.manifest import parse_moment
from kiosk.delivery.store import atomic_write
from kiosk.ops.stats import summarise
from kiosk.ops.status import Inspection, health_problems, staleness_warnings


def _label(value: str) -> str:
    return str(value).replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n")


def _number(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isinf(value)):
        return "+Inf"
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.3f}"


def metrics_text(seen: Inspection) -> str:
    """The display's figures in Prometheus' text exposition format (for node_exporter's textfile collector)."""
    display = _label(seen.settings.id)
    lines = []

    def family(name: str, kind: str, text: str, samples: list[tuple[str, float]]) -> None:
        lines.append(f"# HELP {name} {text}")
        lines.append(f"# TYPE {name} {kind}")
        for labels, value in samples:
            lines.append(f"{name}{{display=\"{display}\"{labels}}} {_number(value)}")

    now = seen.now.timestamp()
    status = seen.status
    installed = seen.installed
    family("ward_kiosk_info", "gauge", "Always 1; labels say the display's mode.",
           [(f",mode=\"{_label(seen.settings.mode)}\"", 1)])
    family("ward_kiosk_feed_version", "gauge", "Version of the installed feed (0: none installed, a local or "
           "sample feed is shown).", [("", installed.manifest.version if installed else 0)])
    if installed:
        family("ward_kiosk_feed_issued_timestamp_seconds", "gauge", "When the installed feed was published.",
               [("", installed.manifest.issued.timestamp())])
        family("ward_kiosk_feed_expires_timestamp_seconds", "gauge", "When the installed feed expires.",
               [("", installed.manifest.expires.timestamp())])
    last_good = parse_moment(status.get("last_success"))
    family("ward_kiosk_last_sync_age_seconds", "gauge", "Seconds since the last good sync (+Inf: never).",
           [("", max(0.0, now - last_good.timestamp()) if last_good else math.inf)])
    family("ward_kiosk_sync_failing", "gauge", "1 when the last sync attempt failed.",
           [("", 1 if status.get("last_outcome") == "failed" else 0)])
    family("ward_kiosk_sync_errors_total", "counter", "Failed sync attempts recorded in the status file.",
           [("", int(status.get("errors_total") or 0))])
    family("ward_kiosk_sync_errors_by_kind_total", "counter", "Failed sync attempts by kind of failure.",
           [(f",kind=\"{_label(kind)}\"", count) for kind, count in sorted((status.get("errors_by_kind") or {}).items())])
    if seen.sync_overdue is not None:
        family("ward_kiosk_sync_thread_overdue_seconds", "gauge", "Seconds the app's sync thread is past its next "
               "promised beat (negative: on time).", [("", seen.sync_overdue)])
    summary = summarise(seen.state_dir)
    family("ward_kiosk_slides_shown", "gauge", "Slides shown, as counted in the proof-of-play log kept on the "
           "display (play.jsonl and its one older file).",
           [(f",slide=\"{_label(slide)}\"", count) for slide, count in sorted(summary.plays.items())])
    family("ward_kiosk_slides_shown_all", "gauge", "All slides shown in the kept proof-of-play log.",
           [("", sum(summary.plays.values()))])
    family("ward_kiosk_heartbeat_age_seconds", "gauge", "Seconds since the app's last heartbeat (+Inf: none).",
           [("", seen.heartbeat_age if seen.heartbeat_age is not None else math.inf)])
    if seen.disk:
        family("ward_kiosk_disk_free_bytes", "gauge", "Free bytes on the state folder's disk.", [("", seen.disk[0])])
    warnings = staleness_warnings(seen)
    problems, _ = health_problems(seen)
    family("ward_kiosk_warnings", "gauge", "Staleness warnings (see `kiosk status`).", [("", len(warnings))])
    family("ward_kiosk_healthy", "gauge", "1 when `kiosk health` finds no problem.", [("", 0 if problems else 1)])
    return "\n".join(lines) + "\n"


def write_metrics(seen: Inspection, out: Path) -> None:
    """Write the metrics file atomically (temporary file, then rename): node_exporter never reads half."""
    atomic_write(Path(out), metrics_text(seen).encode("utf-8"))

"""Runs benchmarks inside a small board's budget: a cgroup of one CPU and 1 GB of memory, so the
figures say what a Raspberry Pi 3/4-class board would feel (its slower cores aside).

The cgroup comes from systemd (`systemd-run --scope`) when systemd is PID 1, else from cgroup v2
directly (a group of its own under /sys/fs/cgroup). Where neither can be had (a container without
systemd, cgroup v1), the benchmarks run pinned to one CPU by affinity, and their memory is measured,
not limited: the run says so."""

from __future__ import annotations

import os
import resource
import shutil
from dataclasses import dataclass, field
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
PI = {"cpus": 1, "memory": 1 << 30}


@dataclass
class Budget:
    """How a benchmark's process is confined: a command prefix, or a function its child runs first."""

    how: str  # said in the output and the table
    limited_memory: bool
    prefix: list[str] = field(default_factory=list)
    group: Path | None = None

    def enter(self) -> None:
        """In the child, before the benchmark starts (subprocess's preexec_fn)."""
        if self.group is not None:
            (self.group / "cgroup.procs").write_text(str(os.getpid()))
        elif not self.prefix:
            os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

    def report(self) -> str:
        """What the last benchmark used of the memory, and whether the kernel killed for it."""
        if self.group is not None:
            peak = _read(self.group / "memory.peak")
            events = dict(line.split() for line in _read(self.group / "memory.events").splitlines() if line)
            return (f"peak memory of the group {int(peak or 0) / 2**20:.0f} MB of {PI['memory'] / 2**20:.0f} MB; "
                    f"killed for memory: {events.get('oom_kill', '?')}")
        largest = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        return f"largest process so far {largest:.0f} MB resident (of a {PI['memory'] / 2**20:.0f} MB budget)"

    def close(self) -> None:
        if self.group is not None:
            try:
                self.group.rmdir()
            except OSError:
                pass


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def pi_budget() -> Budget:
    """The best confinement this machine allows, and in `how` what it is (or why it is less)."""
    quota = f"CPUQuota={PI['cpus'] * 100}%"
    memory = f"MemoryMax={PI['memory'] // 2**20}M"
    if _read(Path("/proc/1/comm")).strip() == "systemd" and shutil.which("systemd-run"):
        prefix = ["systemd-run", "--scope", "--quiet", "-p", quota, "-p", memory, "-p", "MemorySwapMax=0"]
        if os.geteuid() != 0:
            prefix.insert(1, "--user")
        return Budget(f"systemd-run --scope {quota} {memory}", True, prefix=[*prefix, "--"])
    controllers = _read(CGROUP_ROOT / "cgroup.controllers").split()
    why = "systemd is not PID 1"
    if {"cpu", "memory"} <= set(controllers):
        group = CGROUP_ROOT / f"kiosk-bench-{os.getpid()}"
        try:
            (CGROUP_ROOT / "cgroup.subtree_control").write_text("+cpu +memory")
            group.mkdir()
            (group / "cpu.max").write_text(f"{PI['cpus'] * 100000} 100000")
            (group / "memory.max").write_text(str(PI["memory"]))
            if (group / "memory.swap.max").exists():
                (group / "memory.swap.max").write_text("0")
            return Budget(f"cgroup v2 {group}: cpu.max one CPU, memory.max 1 GB", True, group=group)
        except OSError as error:
            why += f", and cgroup v2 refused a group of its own ({error.strerror})"
    else:
        why += ", and /sys/fs/cgroup is not cgroup v2 with cpu and memory controllers"
    return Budget(f"NO CGROUP ({why}): pinned to one CPU by affinity, memory measured, not limited", False)

"""Where a Kivy process's resident memory goes, read from inside it: the kernel's view of its
mappings (heap, anonymous memory, which holds glibc's arenas and, under software OpenGL, every
texture; the libraries), glibc's own count of what it holds and what is free in it, the textures
alive and what Kivy's caches keep, the Fbo layers, the threads, and (when tracemalloc runs, as
with PYTHONTRACEMALLOC=1) the largest Python allocations by line."""

from __future__ import annotations

import ctypes
import gc
import os
import threading
import tracemalloc
from collections import Counter
from pathlib import Path


class _Mallinfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]


def mappings() -> dict[str, float]:
    """Resident MB by kind of mapping (/proc/self/smaps), the largest kinds first."""
    kinds: Counter = Counter()
    kind = "other"
    for line in Path("/proc/self/smaps").read_text().splitlines():
        parts = line.split()
        if len(parts) >= 5 and "-" in parts[0] and not parts[0].endswith(":"):
            name = parts[5] if len(parts) > 5 else ""
            if name == "[heap]":
                kind = "heap (brk)"
            elif not name:
                kind = "anonymous (glibc arenas, mmapped blocks, software-GL textures)"
            elif name.startswith("/memfd:") or name.startswith("/dev/"):
                kind = "shared memory and devices (X, GL)"
            elif ".so" in name:
                kind = f"library {Path(name).name.split('.so')[0]}" if any(
                    big in name for big in ("LLVM", "gallium", "dri", "swrast", "python", "SDL", "avcodec",
                                            "x264", "freetype")) else "other libraries"
            elif name.startswith("["):
                kind = name
            else:
                kind = "mapped files"
        elif parts and parts[0] == "Rss:":
            kinds[kind] += int(parts[1]) / 1024
    return {name: round(mb, 1) for name, mb in kinds.most_common()}


def glibc() -> dict[str, float]:
    """glibc's malloc: MB in its arenas, in use, free but kept (not given back), and mmapped blocks."""
    try:
        info = ctypes.CDLL("libc.so.6").mallinfo2
    except (OSError, AttributeError):
        return {}
    info.restype = _Mallinfo2
    got = info()
    return {"arenas MB": round(got.arena / 2**20, 1), "in use MB": round(got.uordblks / 2**20, 1),
            "free, kept MB": round(got.fordblks / 2**20, 1), "mmapped blocks MB": round(got.hblkhd / 2**20, 1),
            "MALLOC_ARENA_MAX": os.environ.get("MALLOC_ARENA_MAX", "unset")}


def kivy_objects() -> dict:
    """Textures alive (count and MB at 4 bytes a texel), of them the Fbos', and Kivy's caches."""
    from kivy.cache import Cache
    from kivy.graphics import Fbo
    from kivy.graphics.texture import Texture

    gc.collect()
    alive = gc.get_objects()  # type(), not isinstance: a dead weak proxy among them raises on isinstance
    textures = [o for o in alive if issubclass(type(o), Texture)]
    fbos = [o for o in alive if issubclass(type(o), Fbo)]
    return {"textures": len(textures),
            "textures MB": round(sum(t.width * t.height * 4 for t in textures) / 2**20, 1),
            "fbos": len(fbos), "fbos MB": round(sum(f.size[0] * f.size[1] * 4 for f in fbos) / 2**20, 1),
            "caches": {name: len(entries) for name, entries in Cache._objects.items() if entries}}


def threads() -> dict:
    """Threads of the process by name: the native ones (FFmpeg's, Mesa's) as well as Python's."""
    names = Counter()
    for task in Path("/proc/self/task").iterdir():
        try:
            names[(task / "comm").read_text().strip()] += 1
        except OSError:
            pass
    return {"native": dict(names.most_common()), "python": sorted(t.name for t in threading.enumerate())}


def python_allocations(top: int = 8) -> dict:
    """With tracemalloc on: MB Python holds now, and the lines that allocated most of it."""
    if not tracemalloc.is_tracing():
        return {}
    snapshot = tracemalloc.take_snapshot()
    stats = snapshot.statistics("lineno")
    return {"traced MB": round(sum(s.size for s in stats) / 2**20, 1),
            "top": [f"{s.size / 2**20:.1f} MB {s.traceback[0].filename.split('site-packages/')[-1]}:"
                    f"{s.traceback[0].lineno}" for s in stats[:top]]}


def breakdown() -> dict:
    rollup = {line.split(":")[0]: int(line.split()[1]) / 1024 for line in
              Path("/proc/self/smaps_rollup").read_text().splitlines()[1:] if line.split()[-1] == "kB"}
    return {"rss MB": round(rollup.get("Rss", 0), 1), "anonymous MB": round(rollup.get("Anonymous", 0), 1),
            "file-backed MB": round(rollup.get("Rss", 0) - rollup.get("Anonymous", 0), 1),
            "mappings": mappings(), "glibc": glibc(), "kivy": kivy_objects(), "threads": threads(),
            "python": python_allocations()}


def print_breakdown(found: dict, label: str) -> None:
    print(f"where the resident memory goes ({label}): {found['rss MB']:.0f} MB, of it anonymous "
          f"{found['anonymous MB']:.0f} MB, file-backed {found['file-backed MB']:.0f} MB")
    for name, mb in list(found["mappings"].items())[:8]:
        print(f"  {mb:8.1f} MB  {name}")
    if found["glibc"]:
        print("  glibc malloc: " + ", ".join(f"{k} {v}" for k, v in found["glibc"].items()))
    kivy = found["kivy"]
    print(f"  kivy: {kivy['textures']} textures alive ({kivy['textures MB']} MB of texels), of them {kivy['fbos']} "
          f"Fbos ({kivy['fbos MB']} MB); caches " + ", ".join(f"{k} {v}" for k, v in kivy["caches"].items()))
    print(f"  threads: {sum(found['threads']['native'].values())} native "
          + ", ".join(f"{k} x{v}" for k, v in found["threads"]["native"].items())
          + f"; Python: {', '.join(found['threads']['python'])}")
    if found["python"]:
        print(f"  Python objects (tracemalloc): {found['python']['traced MB']} MB; largest by line:")
        for line in found["python"]["top"]:
            print(f"    {line}")

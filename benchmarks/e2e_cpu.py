"""Where the browser suite's CPU goes: run pytest on the browser flows while sampling /proc,
then print the CPU seconds of each kind of process (Chromium's renderers, its browser and GPU
processes, the app servers, the Playwright drivers, pytest).

    .venv/bin/python -m benchmarks.e2e_cpu [PYTEST ARGS]   (default: e2e -n 2)

On 2 cores the suite is bound by CPU, so this, not the wall time of a loaded machine, says
what a change to the flows saved. Linux only (it reads /proc)."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _kind(args: list[str]) -> str | None:
    """What a process is, from its command line (Chromium rewrites its own into one string,
    so the arguments are split on spaces too)."""
    if not args:
        return None
    program = Path(args[0]).name
    if "chrom" in program:
        kind = next((a.split("=", 1)[1] for a in args if a.startswith("--type=")), "browser")
        if kind == "utility":
            sub = next(
                (a.split("=", 1)[1] for a in args if a.startswith("--utility-sub-type=")), ""
            )
            kind = f"utility {sub}"
        return f"chromium {kind}"
    if program == "node" or "playwright" in " ".join(args[:2]):
        return "playwright driver"
    if program.startswith("python"):
        line = " ".join(args[1:4])
        if "configurator.cli serve" in line or "configurator serve" in line:
            return "app server"
        return "python (pytest, workers)"
    return None


def _sample(seen: dict[tuple[int, int], tuple[str, float]]) -> None:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().split()
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, UnicodeDecodeError):
            continue
        kind = _kind(args)
        if kind:
            # By process id and start time: a reused id is another process.
            seen[int(entry.name), int(fields[19])] = (
                kind,
                (int(fields[11]) + int(fields[12])) / TICKS,
            )


def main(argv: list[str]) -> int:
    seen: dict[tuple[int, int], tuple[str, float]] = {}
    done = threading.Event()

    def sampler() -> None:
        while not done.is_set():
            _sample(seen)
            done.wait(0.5)

    thread = threading.Thread(target=sampler, daemon=True)
    thread.start()
    started = time.monotonic()
    args = argv or ["e2e", "-n", "2"]
    code = subprocess.call([sys.executable, "-m", "pytest", "-q", *args])  # noqa: S603 - our pytest
    wall = time.monotonic() - started
    done.set()
    thread.join()
    totals: defaultdict[str, float] = defaultdict(float)
    for kind, cpu in seen.values():
        totals[kind] += cpu
    print(f"\nwall {wall:.1f} s; CPU seconds by kind of process (sampled every 0.5 s):")
    for kind, cpu in sorted(totals.items(), key=lambda item: -item[1]):
        print(f"{cpu:8.1f}  {kind}")
    print(f"{sum(totals.values()):8.1f}  in all, sampled")
    # The kernel's count, exact but only for the processes below this one that were waited
    # for (one orphaned when its parent was killed escapes it); the samples miss a process's
    # last 0.5 s instead. Two views of the same run: compare runs by the same one.
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    waited = children.ru_utime + children.ru_stime
    print(f"{waited:8.1f}  in all, counted by the kernel for the processes waited for")
    return code


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""The server `make bench` measures: what `configurator serve` runs, with the bench's switches.

`python -m uvicorn benchmarks.server:create --factory` on a database the bench prepared. Three
environment variables, read here only (the app itself knows none of them):

- `BENCH_FRAGMENT_CACHE=0`: the fragment cache keeps nothing, so neither the handler nor the
  microcache in front of it ever answers from memory: every option change is rendered.
- `BENCH_STATS=<path>`: on SIGUSR1 the process writes its caches' counters there as JSON
  (`{"seq": n, "caches": {name: {hits, misses, stores, entries}}}`, n counting the signals).
- `BENCH_PROFILE=<path>`: every thread of the process runs under cProfile, timed in CPU
  seconds of that thread (waiting costs nothing); SIGUSR2 forgets what was recorded so far
  (the warm-up), SIGUSR1 writes the merged statistics there (pstats format) before the
  counters, and profiling ends. Both signals also write the counters when BENCH_STATS is set.

A signal rather than exit: uvicorn ends on SIGTERM by raising it again, so nothing registered
with atexit runs.
"""

from __future__ import annotations

import cProfile
import json
import os
import pstats
import signal
import threading
import time
import traceback
from dataclasses import asdict
from pathlib import Path
from types import FrameType
from typing import Any

from configurator.store.cache import CACHES, cache_stats

_profiles: list[cProfile.Profile] = []
_written = {"seq": 0}


def _profile_this_thread(*_event: Any) -> None:
    """The first profiling event of a new thread: from here on cProfile records it."""
    profile = cProfile.Profile(time.thread_time)
    _profiles.append(profile)
    profile.enable()


def _write_profile(path: Path) -> None:
    """Every thread's statistics in one file (taking them stops the profilers)."""
    threading.setprofile(None)
    stats = pstats.Stats()
    for profile in _profiles:
        profile.create_stats()
        if profile.stats:
            stats.add(profile)  # (a thread that ran nothing since the warm-up is left out)
    _profiles.clear()
    stats.dump_stats(path)


def _write_stats(path: Path) -> None:
    _written["seq"] += 1
    caches = {name: asdict(stats) for name, stats in cache_stats().items()}
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps({"seq": _written["seq"], "caches": caches}))
    temporary.replace(path)


def _install_signal_handlers(stats_path: str | None, profile_path: str | None) -> None:
    """SIGUSR1 writes the counters (and the profile); SIGUSR2 starts both afresh."""

    def on_signal(_signal: int, _frame: FrameType | None) -> None:
        # The handler runs inside whatever request the main thread was serving: a failure here
        # is printed, never that request's.
        try:
            if profile_path and _profiles:
                _write_profile(Path(profile_path))
            if stats_path:
                _write_stats(Path(stats_path))
        except Exception:
            traceback.print_exc()

    def on_restart(_signal: int, _frame: FrameType | None) -> None:
        for profile in _profiles:
            profile.clear()
        if stats_path:
            _write_stats(Path(stats_path))

    signal.signal(signal.SIGUSR1, on_signal)
    signal.signal(signal.SIGUSR2, on_restart)


def create() -> Any:
    """The ASGI app of `configurator serve`, with the switches above applied."""
    from configurator.web.app import create_asgi

    app = create_asgi()
    if os.environ.get("BENCH_FRAGMENT_CACHE") == "0":
        CACHES["fragments"].resize(0)
    stats_path = os.environ.get("BENCH_STATS")
    profile_path = os.environ.get("BENCH_PROFILE")
    if stats_path or profile_path:
        _install_signal_handlers(stats_path, profile_path)
    if profile_path:
        _profile_this_thread()
        threading.setprofile(_profile_this_thread)
    return app

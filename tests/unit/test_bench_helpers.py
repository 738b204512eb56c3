"""`make bench`'s own helpers: the random queries it sends, the cache figures and profiles it
reads (benchmarks/bench.py), and the counters of the caches it reads them from."""

from __future__ import annotations

import cProfile
import os
import pstats
import subprocess
import sys
from dataclasses import replace

from benchmarks.bench import (
    NOTES_HEADING,
    _replace_section,
    configurations,
    function_label,
    hit_rate,
    lua_string,
    profile_lines,
    random_choices_lua,
)
from benchmarks.compose import HEADING, Composed, Measured, section
from benchmarks.postgres import HEADING as POSTGRES_HEADING
from benchmarks.postgres import tree_cpu_seconds
from configurator.store.cache import CACHES, VersionedCache, cache_stats

BIKE = [("layer-1", ["1", "2"]), ("layer-2", ["3", "4", "5"]), ("layer-3", ["6", "none"])]


def test_the_random_query_script_picks_from_every_layer_and_a_quantity() -> None:
    script = random_choices_lua("/products/aero-road-bike/configuration", BIKE, 20)
    assert 'local path = "/products/aero-road-bike/configuration"' in script
    assert '{"layer-1", {"1", "2"}}' in script
    assert '{"layer-2", {"3", "4", "5"}}' in script
    assert '{"layer-3", {"6", "none"}}' in script
    assert "local quantities = 20" in script
    assert "math.random(quantities)" in script
    assert script.count("function ") == 3  # setup, init, request


def test_lua_strings_are_quoted() -> None:
    assert lua_string('a"b\\c\nd') == '"a\\"b\\\\c\\nd"'


def test_configurations_multiply_the_choices_of_each_layer() -> None:
    assert configurations(BIKE) == 12
    assert configurations([]) == 1


def test_hit_rate_is_hits_over_requests() -> None:
    before = {"hits": 100, "misses": 50, "stores": 10}
    after = {"hits": 400, "misses": 250, "stores": 60}
    assert hit_rate(before, after, 1000) == 0.3
    assert hit_rate(before, after, 0) is None
    assert hit_rate(before, after, 100) == 1.0


def test_a_versioned_cache_counts_hits_misses_and_stores() -> None:
    cache = VersionedCache(size=2, name="bench-test")
    try:
        assert cache.peek(("db", 1), "a") is None
        cache.put(("db", 1), "a", "A")
        assert cache.peek(("db", 1), "a") == "A"
        assert cache.peek(("db", 1), "b") is None
        cache.put(("db", 1), "b", "B")
        assert cache.peek(("db", 1), "b") == "B"
        stats = cache_stats()["bench-test"]
        assert (stats.hits, stats.misses, stats.stores, stats.entries) == (2, 2, 2, 2)
        cache.resize(0)
        cache.put(("db", 1), "c", "C")
        assert cache.peek(("db", 1), "c") is None
        assert len(cache) == 0
    finally:
        del CACHES["bench-test"]


def _busy() -> int:
    return sum(i * i for i in range(20_000))


def test_a_profile_ranks_functions_by_their_own_time_per_request() -> None:
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(5):
        _busy()
    profile.disable()
    busy_us, lines = profile_lines(pstats.Stats(profile), requests=5, top=3)
    assert busy_us > 0
    assert len(lines) == 3
    assert lines[0].own_us >= lines[1].own_us >= lines[2].own_us
    labels = [line.function for line in lines]
    assert any("_busy" in label or "genexpr" in label for label in labels)
    assert function_label(("~", 0, "<built-in method builtins.sum>")) == (
        "{built-in method builtins.sum}"
    )
    site = "/root/.venv/lib/python3.11/site-packages/jinja2/nodes.py"
    assert (
        function_label((site, 169, "iter_child_nodes")) == "jinja2/nodes.py:169(iter_child_nodes)"
    )
    stdlib = "/usr/lib/python3.11/urllib/parse.py"
    assert function_label((stdlib, 917, "quote")) == "urllib/parse.py:917(quote)"


def test_the_caches_the_bench_reads_are_registered_by_name() -> None:
    import configurator.services.catalog
    import configurator.web.storefront  # noqa: F401

    assert {"configurators", "fragments"} <= set(CACHES)


def test_the_postgres_section_goes_before_the_notes_and_then_replaces_itself() -> None:
    report = (
        f"# Benchmark\n\n## Add to cart during a sign-in flood\n\nflood\n\n{NOTES_HEADING}\n\nnotes"
    )
    first = _replace_section(
        report, [POSTGRES_HEADING, "", "old figures", ""], before=NOTES_HEADING
    )
    assert first.index("flood") < first.index("old figures") < first.index(NOTES_HEADING)
    second = _replace_section(
        first, [POSTGRES_HEADING, "", "new figures", ""], before=NOTES_HEADING
    )
    assert "old figures" not in second
    assert second.count(POSTGRES_HEADING) == 1
    assert second.index("new figures") < second.index(NOTES_HEADING)
    assert second.endswith("notes")


def test_the_cpu_of_a_process_tree_counts_children_that_ended() -> None:
    before = tree_cpu_seconds(os.getpid())
    busy = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass"
    subprocess.run([sys.executable, "-c", busy], check=True)  # noqa: S603
    assert tree_cpu_seconds(os.getpid()) - before >= 0.25


REPORT = "# Benchmark\n\nrows\n\n## Add to cart during a sign-in flood\n\nold flood\n\n"


def test_a_new_section_goes_before_the_hand_written_notes_which_are_kept() -> None:
    report = REPORT + NOTES_HEADING + "\n\nwritten by hand\n"
    new = _replace_section(report, [HEADING, "", "composed", ""])
    assert new.index("old flood") < new.index("composed") < new.index(NOTES_HEADING)
    assert new.endswith(NOTES_HEADING + "\n\nwritten by hand\n")
    again = _replace_section(new, [HEADING, "", "composed again", ""])
    assert "composed again" in again and "composed\n" not in again
    assert again.count(HEADING) == 1 and again.endswith("written by hand\n")


def test_the_compose_section_states_time_memory_and_the_target() -> None:
    rows = [Composed("bench-composed", 1000, 20.0, 16.0, 30_000, 0.01)]
    lines = section(Measured(rows, 40.0, 12.5, 90.0, 130.0, 3.2))
    text = "\n".join(lines)
    assert lines[0] == HEADING
    assert "| bench-composed | 1,000 | 20.0 | 16.0 | 29.3 | 0.010 |" in text
    assert "peak RSS 130 MB (90 MB before composing)" in text
    assert "load average 3.2" in text and ": met (slowest 20.0 ms a picture)" in text
    slow = section(Measured([replace(rows[0], seconds=200.0)], 40.0, 12.5, 90.0, 130.0, 3.2))
    assert "**not met**" in "\n".join(slow)

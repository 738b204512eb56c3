"""How long composed pictures of builds take, and how much memory they hold.

    .venv/bin/python -m benchmarks.compose [BUILDS] [--markdown]

Composes BUILDS (1,000 by default) different builds of a generated configurator (6 layers of
6 options, each option its own SVG drawing: 46,656 builds) at 480 px, one after another,
through the service the web route calls, then every build of the demo bike (its real art) at
480 px. Prints the time per picture (first and repeated; wall clock and this process's CPU, which
differ on a busy machine), the layer cache's size and the
process's peak memory (RSS, which counts what resvg and Pillow allocate outside Python).
A figure for issue #13. `make bench` runs it in a process of its own (`--markdown`: the
section "Composing pictures of builds" of docs/benchmark.md, see benchmarks/bench.py).
"""

from __future__ import annotations

import itertools
import os
import random
import resource
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from configurator.core.composition import layer_images
from configurator.core.configuration import ConfiguratorSpec, resolve
from configurator.core.images import check_image
from configurator.services import catalog_admin, composer
from configurator.services.catalog import spec_by_slug
from configurator.services.demo import load_demo
from configurator.store.db import make_engine, migrate, new_session

LAYERS, OPTIONS = 6, 6
SLUG = "bench-composed"
HEADING = "## Composing pictures of builds"
WIDTH = 480
# Stated targets (issue #13): a new picture at 480 px within this on the bench machine, and the
# whole loop within this peak memory (the caches are bounded; see services/composer.py).
TARGET_MS, TARGET_RSS_MB = 100.0, 400.0


@dataclass(frozen=True)
class Composed:
    slug: str
    builds: int
    seconds: float
    cpu_seconds: float
    average_bytes: float
    cached_ms: float

    @property
    def ms(self) -> float:
        return self.seconds / self.builds * 1000

    @property
    def cpu_ms(self) -> float:
        return self.cpu_seconds / self.builds * 1000


def drawing(layer: int, option: int) -> bytes:
    """A layer's SVG: a few shapes in this option's colour, placed by the layer."""
    hue = (option * 360 // OPTIONS + layer * 23) % 360
    x, y = 80 + layer * 100, 120 + (layer % 3) * 120
    shapes = "".join(
        f'<circle cx="{x + 30 * i}" cy="{y + 20 * i}" r="{40 - 5 * i}" '
        f'fill="hsl({hue}, 70%, {35 + 8 * i}%)" stroke="#222" stroke-width="2"/>'
        for i in range(4)
    )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 800 600" width="800" height="600">'
        f'<rect x="{x - 60}" y="{y - 60}" width="200" height="160" rx="24" '
        f'fill="hsl({hue}, 40%, 85%)" opacity="0.8"/>{shapes}</svg>'
    ).encode()


def load_generated(database_url: str) -> None:
    engine = make_engine(database_url)
    with new_session(engine) as session:
        product = catalog_admin.create_product(
            session, {"name": "Bench Composed", "slug": SLUG, "base_price": "100.00"}
        )
        assert product.id is not None
        for n in range(LAYERS):
            layer = catalog_admin.add_layer(
                session, product.id, {"name": f"Part {n}", "required": "on"}
            )
            assert layer.id is not None
            for m in range(OPTIONS):
                form = {"name": f"Part {n} choice {m}", "sku": f"P{n}-{m}", "price_delta": "1.00"}
                image = check_image(drawing(n, m))
                catalog_admin.add_option(session, product.id, layer.id, form, image)
    engine.dispose()


def every_build(spec: ConfiguratorSpec) -> list[dict[int, int | None]]:
    per_layer = [
        [(layer.id, option.id) for option in layer.options]
        + ([] if layer.required else [(layer.id, None)])
        for layer in spec.layers
    ]
    return [dict(combo) for combo in itertools.product(*per_layer)]


def run(database_url: str, slug: str, count: int, width: int) -> Composed:
    engine = make_engine(database_url)
    with new_session(engine) as session:
        spec = spec_by_slug(session, slug)
        assert spec is not None
        builds = every_build(spec)
        random.Random(13).shuffle(builds)  # noqa: S311 (a repeatable sample, not a secret)
        builds = builds[:count]
        stacks = [layer_images(resolve(spec, selection)) for selection in builds]
        started, cpu = time.perf_counter(), time.process_time()
        sizes = 0
        for images in stacks:
            sizes += len(composer.compose(session, images, width).data)
        first, first_cpu = time.perf_counter() - started, time.process_time() - cpu
        started = time.perf_counter()
        for images in stacks:
            composer.compose(session, images, width)
        repeated = time.perf_counter() - started
    engine.dispose()
    n = len(stacks)
    return Composed(slug, n, first, first_cpu, sizes / n, repeated / n * 1000)


def line(r: Composed) -> str:
    return (
        f"{r.slug}: {r.builds} different builds at {WIDTH} px: {r.seconds:.1f} s "
        f"({r.ms:.1f} ms a picture, {r.cpu_ms:.1f} ms of CPU; "
        f"{r.average_bytes / 1024:.1f} KB of WebP on average); "
        f"again from the cache: {r.cached_ms:.3f} ms a picture"
    )


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass(frozen=True)
class Measured:
    rows: list[Composed]
    layer_cache_mb: float
    picture_cache_mb: float
    rss_before_mb: float
    rss_peak_mb: float
    load: float


def measure(count: int) -> Measured:
    with tempfile.TemporaryDirectory() as tmp:
        database_url = f"sqlite:///{Path(tmp) / 'compose.sqlite3'}"
        migrate(database_url)
        engine = make_engine(database_url)
        with new_session(engine) as session:
            load_demo(session)
        engine.dispose()
        load_generated(database_url)
        before = peak_rss_mb()
        rows = [run(database_url, slug, count, WIDTH) for slug in (SLUG, "aero-road-bike")]
    return Measured(
        rows,
        composer._LAYERS.total_bytes / 1e6,
        composer._BUILDS.total_bytes / 1e6,
        before,
        peak_rss_mb(),
        os.getloadavg()[0],
    )


def section(m: Measured) -> list[str]:
    """The report's section "Composing pictures of builds" (markdown lines)."""
    worst = max(r.ms for r in m.rows)
    verdict = "met" if worst <= TARGET_MS and m.rss_peak_mb <= TARGET_RSS_MB else "**not met**"
    return [
        HEADING,
        "",
        f"Different builds composed one after another at {WIDTH} px in one process, through the "
        "service the route /products/{slug}/build.webp calls (benchmarks/compose.py): a "
        f"generated configurator ({LAYERS} layers of {OPTIONS} options, each its own SVG), "
        "then the demo bike's builds (its real art). Wall clock and this process's CPU (they "
        f"differ on a busy machine). Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load "
        f"average {m.load:.1f} on {os.cpu_count()} cores when it ended.",
        "",
        "| configurator | builds | ms a picture | CPU ms | KB of WebP | again, from the cache ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        *(
            f"| {r.slug} | {r.builds:,} | {r.ms:.1f} | {r.cpu_ms:.1f} "
            f"| {r.average_bytes / 1024:.1f} | {r.cached_ms:.3f} |"
            for r in m.rows
        ),
        "",
        f"Layer cache {m.layer_cache_mb:.0f} MB, picture cache {m.picture_cache_mb:.1f} MB; "
        f"peak RSS {m.rss_peak_mb:.0f} MB ({m.rss_before_mb:.0f} MB before composing). "
        f"Target: a new picture within {TARGET_MS:.0f} ms and the loop within "
        f"{TARGET_RSS_MB:.0f} MB peak RSS: {verdict} (slowest {worst:.1f} ms a picture).",
        "",
    ]


def main() -> None:
    args = sys.argv[1:]
    markdown = "--markdown" in args
    numbers = [a for a in args if a != "--markdown"]
    m = measure(int(numbers[0]) if numbers else 1000)
    if markdown:
        print("\n".join(section(m)))
        return
    for r in m.rows:
        print(line(r))
    print(
        f"layer cache {m.layer_cache_mb:.0f} MB, picture cache {m.picture_cache_mb:.1f} MB; "
        f"peak RSS {m.rss_peak_mb:.0f} MB ({m.rss_before_mb:.0f} MB before composing)"
    )


if __name__ == "__main__":
    main()

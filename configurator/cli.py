"""`configurator` command: serve, migrate, load-demo, create-admin, stock check, prune,
backup, restore, scenario."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from configurator.services import accounts, housekeeping, scenarios, stock
from configurator.services.backup import BackupError, backup, restore
from configurator.services.demo import load_demo
from configurator.settings import Settings
from configurator.store.db import make_engine, migrate, new_session


def prepare(settings: Settings) -> None:
    """Migrate, create the first admin account, load the demo catalog when empty."""
    migrate(settings.database_url)
    engine = make_engine(settings.database_url)
    with new_session(engine) as session:
        try:
            generated = accounts.ensure_initial_admin(session, settings.admin_password)
        except ValueError as exc:
            raise SystemExit(f"CONFIGURATOR_ADMIN_PASSWORD: {exc}") from None
        if generated:
            print(
                "\n  First start: created the merchant account 'admin' with password\n"
                f"      {generated}\n"
                "  It is shown only this once. Change it with `configurator create-admin`.\n",
                flush=True,
            )
        if load_demo(session):
            print("  Loaded the demo catalog (Aero Road Bike, Court Sneaker).", flush=True)
    engine.dispose()


def serve(settings: Settings, workers: int) -> None:
    import uvicorn

    prepare(settings)
    print(f"  Serving on http://{settings.host}:{settings.port}/  (admin: /admin)", flush=True)
    uvicorn.run(
        "configurator.web.app:create_asgi",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers if workers > 1 else None,
        log_level="warning",
        # The client's address (which sign-in limits count by) comes from X-Forwarded-For only
        # when the request comes from a proxy named in TRUSTED_PROXIES.
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=settings.trusted_proxies or None,
    )


def create_admin(settings: Settings, username: str, password_stdin: bool) -> int:
    migrate(settings.database_url)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"New password for {username}: ")
        if getpass.getpass("Repeat it: ") != password:
            print("The passwords differ; nothing changed.", file=sys.stderr)
            return 1
    engine = make_engine(settings.database_url)
    try:
        with new_session(engine) as session:
            accounts.set_password(session, username, password)
    except ValueError as exc:
        print(f"{exc} Nothing changed.", file=sys.stderr)
        return 1
    print(f"The account '{username}' can now sign in at /admin.")
    return 0


def stock_check(settings: Settings) -> int:
    """Report options whose quantity on hand disagrees with their stock movements."""
    migrate(settings.database_url)
    engine = make_engine(settings.database_url)
    with new_session(engine) as session:
        mismatches = stock.check(session)
    engine.dispose()
    if not mismatches:
        print("Stock is consistent: every quantity on hand equals the sum of its movements.")
        return 0
    for m in mismatches:
        print(
            f"option {m.option_id} {m.name!r} ({m.sku or 'no SKU'}): quantity on hand "
            f"{m.quantity}, movements add up to {m.movements_total} "
            f"(off by {m.quantity - m.movements_total:+d})"
        )
    print(f"{len(mismatches)} option(s) disagree with their stock movements.", file=sys.stderr)
    return 1


def prune(settings: Settings) -> int:
    """Delete abandoned carts, expired merchant sessions and old sign-in attempts."""
    migrate(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        pruned = housekeeping.prune(engine, cart_retention=settings.cart_retention)
    finally:
        engine.dispose()
    print(
        f"Pruned {pruned.carts} abandoned cart(s) (idle over {settings.cart_retention_days} "
        f"days), {pruned.sessions} expired merchant session(s), {pruned.attempts} old sign-in "
        "attempt(s). Orders are never pruned."
    )
    return 0


def backup_to(settings: Settings, path: Path) -> int:
    try:
        orders = backup(settings.database_url, path)
    except BackupError as exc:
        print(f"Backup failed: {exc}", file=sys.stderr)
        return 1
    print(f"Backed up the shop ({orders} order(s)) to {path}.")
    return 0


def restore_from(settings: Settings, path: Path, force: bool) -> int:
    try:
        orders = restore(settings.database_url, path, force=force)
    except BackupError as exc:
        print(f"Not restored: {exc}", file=sys.stderr)
        return 1
    print(f"Restored {path}: the shop now holds {orders} order(s).")
    return 0


def run_scenario(settings: Settings, name: str | None, listing: bool) -> int:
    """Put the shop in a named state QA asks for, or list the states."""
    if listing or not name:
        for scenario in scenarios.SCENARIOS.values():
            print(f"{scenario.name:<20} {scenario.summary}")
        return 0 if listing else 2
    migrate(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with new_session(engine) as session:
            scenario = scenarios.apply(session, name)
    except scenarios.UnknownScenario as exc:
        print(exc, file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    print(f"The shop is now {scenario.name}: {scenario.summary}.")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="configurator", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser("serve", help="migrate, load the demo when empty, serve")
    serve_parser.add_argument(
        "--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "1"))
    )
    commands.add_parser("migrate", help="bring the database schema up to date")
    commands.add_parser("load-demo", help="load the demo catalog into an empty database")
    admin_parser = commands.add_parser("create-admin", help="add a merchant or reset a password")
    admin_parser.add_argument("--username", default="admin")
    admin_parser.add_argument("--password-stdin", action="store_true")
    stock_parser = commands.add_parser("stock", help="stock tools")
    stock_commands = stock_parser.add_subparsers(dest="stock_command", required=True)
    stock_commands.add_parser(
        "check", help="report options whose quantity disagrees with their movements (exit 1)"
    )
    commands.add_parser(
        "prune", help="delete abandoned carts, expired sessions, old sign-in attempts"
    )
    backup_parser = commands.add_parser(
        "backup", help="write a consistent copy of the database to PATH (while serving)"
    )
    backup_parser.add_argument("path", type=Path, metavar="PATH")
    restore_parser = commands.add_parser(
        "restore", help="replace the database with the backup at PATH, then migrate it"
    )
    restore_parser.add_argument("path", type=Path, metavar="PATH")
    restore_parser.add_argument(
        "--force", action="store_true", help="replace a database that already holds orders"
    )
    scenario_parser = commands.add_parser(
        "scenario", help="put the shop in a named state for QA (--list shows them)"
    )
    scenario_parser.add_argument("name", nargs="?", metavar="NAME")
    scenario_parser.add_argument("--list", action="store_true", help="one line per scenario")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    if args.command == "serve":
        serve(settings, args.workers)
    elif args.command == "migrate":
        migrate(settings.database_url)
    elif args.command == "load-demo":
        prepare(settings)
    elif args.command == "create-admin":
        return create_admin(settings, args.username, args.password_stdin)
    elif args.command == "stock":
        return stock_check(settings)
    elif args.command == "prune":
        return prune(settings)
    elif args.command == "backup":
        return backup_to(settings, args.path)
    elif args.command == "restore":
        return restore_from(settings, args.path, args.force)
    elif args.command == "scenario":
        return run_scenario(settings, args.name, args.list)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

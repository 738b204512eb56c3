"""`configurator` command: serve, migrate, load-demo, create-admin, stock check | repair |
export | import, prune, mail send-pending, backup, restore, scenario."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from configurator.core.stock_csv import ImportPlan
from configurator.logs import configure_logging
from configurator.services import accounts, housekeeping, inventory, mail, scenarios, stock
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


WORKER_HEALTHCHECK_SECONDS = 30
"""How long uvicorn's parent waits for a worker's answer before replacing it (see `serve`)."""


def serve(settings: Settings, workers: int) -> None:
    import uvicorn

    configure_logging(settings.log_format, access_log=settings.access_log)
    prepare(settings)
    print(f"  Serving on http://{settings.host}:{settings.port}/  (admin: /admin)", flush=True)
    uvicorn.run(
        "configurator.web.app:create_asgi",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers if workers > 1 else None,
        # With several workers uvicorn's parent pings each one and kills any that does not
        # answer in time (5 s by default). A worker still importing the app on a loaded machine
        # (seen at load average 14 on 2 cores) missed that and was killed and restarted in a
        # loop, so the server never came up; a truly hung worker is now replaced after 30 s.
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
        # Each worker logs through `configure_logging` (see `create_asgi`): one format for
        # uvicorn's lines and ours, and our access line instead of uvicorn's.
        log_config=None,
        log_level="info",
        access_log=False,
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
    """Report options whose quantity on hand disagrees with their stock movements, and stored
    statuses or flags that disagree with what the rules derive."""
    migrate(settings.database_url)
    engine = make_engine(settings.database_url)
    with new_session(engine) as session:
        mismatches = stock.check(session)
        stuck = inventory.stored_disagreements(session)
    engine.dispose()
    if not mismatches and not stuck:
        print(
            "Stock is consistent: every quantity on hand equals the sum of its movements, and "
            "every stored status and flag is what the rules derive."
        )
        return 0
    for m in mismatches:
        print(
            f"option {m.option_id} {m.name!r} ({m.sku or 'no SKU'}): quantity on hand "
            f"{m.quantity}, movements add up to {m.movements_total} "
            f"(off by {m.quantity - m.movements_total:+d})"
        )
    for d in stuck:
        print(f"option {d.option_id} {d.describe()}")
    if mismatches:
        print(f"{len(mismatches)} option(s) disagree with their stock movements.", file=sys.stderr)
    if stuck:
        print(
            f"{len(stuck)} stored value(s) disagree with the rules; "
            "`configurator stock repair` fixes them.",
            file=sys.stderr,
        )
    return 1


def stock_repair(settings: Settings) -> int:
    """Write what the rules derive over stored statuses and flags that disagree with them."""
    migrate(settings.database_url)
    engine = make_engine(settings.database_url)
    with new_session(engine) as session:
        fixed = inventory.repair(session, username="command line")
    engine.dispose()
    for d in fixed:
        print(f"repaired option {d.option_id} {d.describe()}")
    print(f"Repaired {len(fixed)} stored value(s); each has a stock movement with reason repair.")
    return 0


def stock_export(settings: Settings, output: Path | None) -> int:
    migrate(settings.database_url)
    engine = make_engine(settings.database_url)
    with new_session(engine) as session:
        data = inventory.export_csv(session)
    engine.dispose()
    if output is None:
        sys.stdout.write(data.decode("utf-8-sig"))
        sys.stdout.flush()
    else:
        output.write_bytes(data)
        rows = data.count(b"\n") - 1
        print(f"Exported {rows} option(s) to {output}.", file=sys.stderr)
    return 0


def print_plan(plan: ImportPlan) -> None:
    for change in plan.changes:
        changes = ", ".join(
            f"{c.column} {c.old or '(empty)'} -> {c.new or '(empty)'}" for c in change.changes
        )
        print(f"row {change.row}: {change.before.label}: {changes}")
    for error in plan.errors:
        print(f"row {error.row}, column {error.column or '-'}: {error.message}")
    if plan.ignored_columns:
        print(f"Ignored columns: {', '.join(plan.ignored_columns)}")
    print(
        f"{plan.rows} row(s): {len(plan.changes)} change(s), {len(plan.unchanged)} unchanged, "
        f"{len(plan.errors)} error(s)."
    )


def stock_import(settings: Settings, path: Path, dry_run: bool) -> int:
    try:
        data = path.read_bytes()
    except OSError as exc:
        print(f"Cannot read {path}: {exc.strerror}.", file=sys.stderr)
        return 1
    migrate(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with new_session(engine) as session:
            plan = inventory.import_csv(
                session, data, path.name, apply=not dry_run, username="command line"
            )
    except inventory.FileRefused as exc:
        print(f"{path.name}: {exc} Nothing was imported.", file=sys.stderr)
        return 1
    except inventory.ImportRefused as exc:
        print_plan(exc.plan)
        print("Nothing was imported: fix the rows above and import again.", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print_plan(plan)
    if dry_run:
        print("Dry run: nothing was written." if plan.ok else "Fix the rows above first.")
        return 0 if plan.ok else 1
    print(f"Imported {path.name}: {len(plan.changes)} option(s) changed.")
    return 0


def prune(settings: Settings, mail_days: int | None = None) -> int:
    """Delete abandoned carts, expired merchant sessions, old sign-in attempts, finished stock
    imports and sent mails older than `mail_days` (default: MAIL_RETENTION_DAYS)."""
    days = settings.mail_retention_days if mail_days is None else mail_days
    migrate(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        pruned = housekeeping.prune(
            engine, cart_retention=settings.cart_retention, mail_retention=timedelta(days=days)
        )
    finally:
        engine.dispose()
    print(
        f"Pruned {pruned.carts} abandoned cart(s) (idle over {settings.cart_retention_days} "
        f"days), {pruned.sessions} expired merchant session(s), {pruned.attempts} old sign-in "
        f"attempt(s), {pruned.mails} mail(s) sent over {days} days ago, "
        f"{pruned.import_jobs} finished stock import(s). Orders are never pruned."
    )
    return 0


def _days(text: str) -> int:
    """A number of days on the command line: a whole number, at least 1."""
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 36_500:
        raise argparse.ArgumentTypeError("a whole number of days from 1 to 36500")
    return int(text)


def mail_send_pending(settings: Settings) -> int:
    """Send the outbox's due mails now (what each worker does while it serves)."""
    migrate(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        if not settings.smtp_url:
            with new_session(engine) as session:
                waiting = sum(
                    1 for row in mail.outbox(session, limit=10_000) if row.status == mail.WAITING
                )
            print(
                f"SMTP_URL is not set: nothing sent; {waiting} mail(s) wait in the outbox "
                "(the admin's Emails page lists them).",
                file=sys.stderr,
            )
            return 1
        result = mail.send_pending(engine, settings.smtp_url, settings.mail_from)
    finally:
        engine.dispose()
    print(
        f"Sent {result.sent} mail(s); {result.retrying} will be tried again later, "
        f"{result.failed} failed for good."
    )
    return 0 if not result.retrying and not result.failed else 1


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


def stock_command(settings: Settings, args: argparse.Namespace) -> int:
    if args.stock_command == "repair":
        return stock_repair(settings)
    if args.stock_command == "export":
        return stock_export(settings, args.output)
    if args.stock_command == "import":
        return stock_import(settings, args.file, args.dry_run)
    return stock_check(settings)


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
        "check",
        help="report quantities that disagree with their movements, and stored statuses or "
        "flags that disagree with the rules (exit 1)",
    )
    stock_commands.add_parser(
        "repair", help="write what the rules derive over disagreeing stored statuses and flags"
    )
    export_parser = stock_commands.add_parser(
        "export", help="write every option's stock settings as CSV (standard output by default)"
    )
    export_parser.add_argument("--output", type=Path, metavar="FILE")
    import_parser = stock_commands.add_parser(
        "import", help="import stock settings from a CSV file, all or nothing (exit 1 on errors)"
    )
    import_parser.add_argument("file", type=Path, metavar="FILE")
    import_parser.add_argument(
        "--dry-run", action="store_true", help="show what would change; write nothing"
    )
    mail_parser = commands.add_parser("mail", help="the outbox of emails")
    mail_commands = mail_parser.add_subparsers(dest="mail_command", required=True)
    mail_commands.add_parser("send-pending", help="send the mails that are due now (SMTP_URL)")
    prune_parser = commands.add_parser(
        "prune",
        help="delete abandoned carts, expired sessions, old sign-in attempts, old sent mails",
    )
    prune_parser.add_argument(
        "--mail-days",
        type=_days,
        metavar="DAYS",
        help="delete sent mails older than DAYS (default: MAIL_RETENTION_DAYS, 30)",
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
    return run(args.command, Settings.from_env(), args)


def run(command: str, settings: Settings, args: argparse.Namespace) -> int:
    """Carry out one parsed command; its exit status."""
    commands: dict[str, Callable[[], int | None]] = {
        "serve": lambda: serve(settings, args.workers),
        "migrate": lambda: migrate(settings.database_url),
        "load-demo": lambda: prepare(settings),
        "create-admin": lambda: create_admin(settings, args.username, args.password_stdin),
        "stock": lambda: stock_command(settings, args),
        "prune": lambda: prune(settings, args.mail_days),
        "mail": lambda: mail_send_pending(settings),
        "backup": lambda: backup_to(settings, args.path),
        "restore": lambda: restore_from(settings, args.path, args.force),
        "scenario": lambda: run_scenario(settings, args.name, args.list),
    }
    return commands[command]() or 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The `configurator` command and the schema: first start, create-admin, migrations."""

from __future__ import annotations

import io
import re

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel, select

import configurator.store.models  # noqa: F401  (registers the tables)
from configurator import cli
from configurator.services import accounts
from configurator.store.db import make_engine, migrate, new_session
from configurator.store.models import AdminUser, Product


def test_migrations_create_exactly_the_schema_the_models_describe(database_url: str) -> None:
    migrate(database_url)
    engine = make_engine(database_url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    engine.dispose()
    assert differences == []


def test_first_start_prints_a_generated_password_once_and_loads_the_demo(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("CONFIGURATOR_ADMIN_PASSWORD", raising=False)

    assert cli.main(["load-demo"]) == 0
    first = capsys.readouterr().out
    match = re.search(r"password\s+(\S+)\s+It is shown only this once", first)
    assert match, first
    assert "Loaded the demo catalog" in first

    assert cli.main(["load-demo"]) == 0
    second = capsys.readouterr().out
    assert match.group(1) not in second
    assert "Loaded the demo catalog" not in second

    engine = make_engine(database_url)
    with new_session(engine) as session:
        assert accounts.authenticate(session, "admin", match.group(1)) is not None
        assert len(session.exec(select(Product)).all()) == 2
    engine.dispose()


def test_admin_password_from_the_environment_is_hashed_not_stored(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("CONFIGURATOR_ADMIN_PASSWORD", "from-the-environment")

    assert cli.main(["load-demo"]) == 0
    assert "from-the-environment" not in capsys.readouterr().out

    engine = make_engine(database_url)
    with new_session(engine) as session:
        user = session.exec(select(AdminUser)).one()
        assert user.username == "admin"
        assert "from-the-environment" not in user.password_hash
        assert user.password_hash.startswith("$argon2id$")
        assert accounts.authenticate(session, "admin", "from-the-environment") is not None
        assert accounts.authenticate(session, "admin", "wrong-password") is None
    engine.dispose()


def test_create_admin_adds_an_account_and_resets_a_password(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setattr("sys.stdin", io.StringIO("a-new-long-password\n"))
    assert cli.main(["create-admin", "--username", "maria", "--password-stdin"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("another-password\n"))
    assert cli.main(["create-admin", "--username", "maria", "--password-stdin"]) == 0
    assert "can now sign in" in capsys.readouterr().out

    engine = make_engine(database_url)
    with new_session(engine) as session:
        assert accounts.authenticate(session, "maria", "another-password") is not None
        assert accounts.authenticate(session, "maria", "a-new-long-password") is None
    engine.dispose()


def test_create_admin_refuses_a_short_password_and_changes_nothing(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert cli.main(["create-admin", "--username", "maria", "--password-stdin"]) == 1
    assert "Nothing changed" in capsys.readouterr().err

    engine = make_engine(database_url)
    with new_session(engine) as session:
        assert session.exec(select(AdminUser)).all() == []
    engine.dispose()


def test_ids_are_never_reused_so_old_links_cannot_name_new_things(database_url: str) -> None:
    migrate(database_url)
    engine = make_engine(database_url)
    with new_session(engine) as session:
        first = Product(name="Walnut Desk", slug="walnut-desk", base_price_cents=90_000)
        session.add(first)
        session.commit()
        old_id = first.id
        session.delete(first)
        session.commit()
        second = Product(name="Gift Card", slug="gift-card", base_price_cents=500)
        session.add(second)
        session.commit()
        assert second.id != old_id
    engine.dispose()

"""The shop's charge policy (Global Settings > Charge policy), kept in `app_setting` so every
worker and every configurator reads the same one. The rule itself is `core.charging`."""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from configurator.core.charging import CHARGE_POLICY_KEY, ChargePolicy, stored_charge_policy
from configurator.store.models import AppSetting


def charge_policy(session: Session) -> ChargePolicy:
    """The policy checkout charges by now (one read by primary key)."""
    row = session.get(AppSetting, CHARGE_POLICY_KEY)
    return stored_charge_policy(row.value if row else None)


def write_charge_policy(session: Session, policy: ChargePolicy) -> None:
    """Save the policy, inside the caller's unit of work (one upsert: two merchants saving at
    once both succeed, the later one wins)."""
    dialect = session.get_bind().dialect.name
    upsert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    statement = upsert(AppSetting).values(key=CHARGE_POLICY_KEY, value=policy.value)
    session.execute(
        statement.on_conflict_do_update(index_elements=["key"], set_={"value": policy.value})
    )
    for row in list(session.identity_map.values()):
        if isinstance(row, AppSetting) and row.key == CHARGE_POLICY_KEY:
            session.expire(row)  # read earlier in this transaction: read it again when asked

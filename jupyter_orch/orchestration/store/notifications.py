"""Notification policies and their deliveries.

A state hook (`orchestration.state_hooks.QueueNotifications`) queues one delivery per matching
policy in the same transaction as the transition (so none is lost and none is sent for a
transition that rolled back); the notifications service sends them later, so a slow or failing
webhook never delays or fails a run.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from jupyter_orch.db.models import NotificationDelivery, NotificationPolicy, new_id, utcnow
from jupyter_orch.orchestration.errors import Invalid
from jupyter_orch.orchestration.store import query
from jupyter_orch.orchestration.store.query import (
    check_choice,
    check_limit,
    check_non_empty,
    found,
    paginate,
    parse_time,
    select_equal,
)

CHANNELS = ("webhook", "slack", "email", "ui")
MAX_ATTEMPTS = 5
TEMPLATE_FIELDS = (
    "flow_run_name",
    "flow_run_id",
    "flow_name",
    "deployment_name",
    "deployment_id",
    "state_name",
    "state_type",
    "state_message",
    "tags",
)


def _check_config(channel: str, config: dict[str, Any]) -> None:
    if channel in ("webhook", "slack"):
        url = config.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise Invalid(f"a {channel} notification needs config.url (http or https)", field="config.url")
    if channel == "email":
        to = config.get("to")
        if not to or not isinstance(to, (str, list)):
            raise Invalid("an email notification needs config.to (an address or a list)", field="config.to")
        if not isinstance(config.get("smtp_host", "localhost"), str):
            raise Invalid("config.smtp_host must be a string", field="config.smtp_host")


def _str_list(value: Any, field: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Invalid(f"{field} must be a list of strings", field=field)
    return value


def create_policy(
    session: Session,
    name: str,
    channel: str,
    config: dict[str, Any] | None = None,
    state_names: list[str] | None = None,
    tags: list[str] | None = None,
    deployment_ids: list[str] | None = None,
    message_template: str | None = None,
    is_active: bool = True,
) -> NotificationPolicy:
    check_non_empty(name, "name")
    check_choice(channel, CHANNELS, "channel")
    config = config or {}
    if not isinstance(config, dict):
        raise Invalid("config must be an object", field="config")
    _check_config(channel, config)
    if message_template is not None:
        try:
            message_template.format(**dict.fromkeys(TEMPLATE_FIELDS, ""))
        except (KeyError, IndexError, ValueError) as exc:
            raise Invalid(
                f"message_template: unknown placeholder {exc}; use {', '.join(TEMPLATE_FIELDS)}",
                field="message_template",
            ) from exc
    policy = NotificationPolicy(
        id=new_id(),
        name=name,
        channel=channel,
        config=config,
        is_active=bool(is_active),
        state_names=_str_list(state_names, "state_names"),
        tags=_str_list(tags, "tags"),
        deployment_ids=_str_list(deployment_ids, "deployment_ids"),
        message_template=message_template,
    )
    session.add(policy)
    session.flush()
    return policy


def list_policies(session: Session) -> list[NotificationPolicy]:
    return list(session.scalars(select(NotificationPolicy).order_by(NotificationPolicy.created)))


def delete_policy(session: Session, policy_id: str) -> None:
    policy = query.read_by_id(session, NotificationPolicy, policy_id, "notification policy")
    session.delete(policy)
    session.flush()


def queue_test(session: Session, policy_id: str) -> NotificationDelivery:
    """A test message through a policy's channel, queued like a real one (a UI message is shown at
    once; the notifications service sends the others and records the outcome on the delivery)."""
    policy = found(session.get(NotificationPolicy, policy_id), f"notification policy {policy_id} not found")
    now = utcnow()
    text = f"Test notification from jupyter-orch (policy {policy.name!r})"
    delivery = NotificationDelivery(
        id=new_id(),
        policy_id=policy.id,
        channel=policy.channel,
        subject=text,
        body={"text": text, "test": True, "policy": policy.name, "timestamp": now.isoformat()},
        status="SENT" if policy.channel == "ui" else "PENDING",
        attempts=0,
        next_attempt_at=now,
        created=now,
    )
    session.add(delivery)
    session.flush()
    return delivery


def read_delivery(session: Session, delivery_id: str) -> NotificationDelivery:
    return found(
        session.get(NotificationDelivery, delivery_id), f"notification delivery {delivery_id} not found"
    )


def claim_due(session: Session, limit: int = 50, lease_seconds: float = 60) -> list[NotificationDelivery]:
    """Deliveries due now, each pushed `lease_seconds` ahead so another server does not send it too."""
    now = utcnow()
    stmt = (
        select(NotificationDelivery)
        .where(NotificationDelivery.status == "PENDING", NotificationDelivery.next_attempt_at <= now)
        .order_by(NotificationDelivery.next_attempt_at)
        .limit(limit)
    )
    claimed = []
    for d in session.scalars(stmt).all():
        result = session.execute(
            update(NotificationDelivery)
            .where(
                NotificationDelivery.id == d.id,
                NotificationDelivery.next_attempt_at == d.next_attempt_at,
                NotificationDelivery.status == "PENDING",
            )
            .values(next_attempt_at=now + timedelta(seconds=lease_seconds))
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            claimed.append(d)
    return claimed


def record_attempt(session: Session, delivery_id: str, error: str | None, backoff_base: float = 2.0) -> None:
    """SENT, or the error recorded and a retry after 2**attempts seconds (FAILED after MAX_ATTEMPTS)."""
    d = session.get(NotificationDelivery, delivery_id)
    if d is None:
        return
    d.attempts += 1
    if error is None:
        d.status, d.last_error = "SENT", None
        return
    d.last_error = error[:2000]
    if d.attempts >= MAX_ATTEMPTS:
        d.status = "FAILED"
    else:
        d.next_attempt_at = utcnow() + timedelta(seconds=backoff_base**d.attempts)


def policy_of(session: Session, delivery: NotificationDelivery) -> NotificationPolicy | None:
    return session.get(NotificationPolicy, delivery.policy_id) if delivery.policy_id else None


def list_deliveries(
    session: Session,
    status: str | None = None,
    flow_run_id: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> tuple[list[NotificationDelivery], str | None]:
    stmt = select_equal(NotificationDelivery, status=status, flow_run_id=flow_run_id)
    return paginate(session, stmt, NotificationDelivery, limit, cursor)


def ui_messages(session: Session, after: Any = None, limit: int | None = 100) -> list[NotificationDelivery]:
    """UI-channel messages newer than `after`, newest last."""
    stmt = select(NotificationDelivery).where(NotificationDelivery.channel == "ui")
    if after:
        stmt = stmt.where(NotificationDelivery.created > parse_time(after, "after"))
    rows = session.scalars(stmt.order_by(NotificationDelivery.created.desc()).limit(check_limit(limit)))
    return list(reversed(list(rows)))


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None

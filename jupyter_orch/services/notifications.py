"""Sends queued notification deliveries: webhook/Slack POSTs and SMTP email.

A failure is recorded on the delivery (attempts, last_error) and retried with exponential backoff;
it never touches the run. Each delivery is claimed before sending, so two servers do not both send.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import Any

import httpx

from jupyter_orch.db.session import session_scope
from jupyter_orch.orchestration.store import notifications as store
from jupyter_orch.services.base import Service


def send_webhook(config: dict[str, Any], body: dict[str, Any], slack: bool, timeout: float = 10.0) -> None:
    payload = {"text": body["text"]} if slack else body
    headers = {str(k): str(v) for k, v in (config.get("headers") or {}).items()}
    response = httpx.post(config["url"], json=payload, headers=headers, timeout=timeout)
    response.raise_for_status()


def send_email(config: dict[str, Any], subject: str, body: dict[str, Any], timeout: float = 10.0) -> None:
    to = config["to"] if isinstance(config["to"], list) else [config["to"]]
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = config.get("from", "jupyter-orch@localhost")
    msg["To"] = ", ".join(to)
    msg.set_content(f"{body['text']}\n\nflow run id: {body.get('flow_run_id', '')}\n")
    host, port = config.get("smtp_host", "localhost"), int(config.get("smtp_port", 25))
    smtp_cls = smtplib.SMTP_SSL if config.get("ssl") else smtplib.SMTP
    with smtp_cls(host, port, timeout=timeout) as smtp:
        if config.get("starttls"):
            smtp.starttls()
        if config.get("username"):
            smtp.login(config["username"], config.get("password", ""))
        smtp.send_message(msg)


class NotificationService(Service):
    name = "notifications"

    def __init__(self, db_url: str | None = None, interval: float = 1.0, backoff_base: float = 2.0) -> None:
        super().__init__(interval)
        self.db_url = db_url
        self.backoff_base = backoff_base

    def run_once(self) -> int:
        with session_scope(self.db_url) as session:
            due = []
            for d in store.claim_due(session):
                policy = store.policy_of(session, d)
                due.append((d.id, d.channel, d.subject, d.body, dict(policy.config) if policy else {}))
        for delivery_id, channel, subject, body, config in due:
            error = None
            try:
                if channel in ("webhook", "slack"):
                    send_webhook(config, body, slack=channel == "slack")
                elif channel == "email":
                    send_email(config, subject, body)
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
            with session_scope(self.db_url) as session:
                store.record_attempt(session, delivery_id, error, self.backoff_base)
        return len(due)

"""Wire formats for webhooks: CloudEvents (structured JSON) and Slack-compatible messages.

Rule: pure. A Notice becomes a Request (headers and body bytes); the URL is not known
here. Both formats carry the notice's idempotency key: the CloudEvent's `id`, and an
`Idempotency-Key` header on every request (the same on each retry).
"""

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from cloudevents.core.bindings import http
from cloudevents.core.v1.event import CloudEvent

from alchemiser.notify.notices import Notice

TYPE_PREFIX: Final = "io.alchemiser."
SOURCE: Final = "/alchemiser/operator"
HEADER_KEY: Final = "Idempotency-Key"
_ICONS: Final = {
    "info": ":large_blue_circle:",
    "warning": ":warning:",
    "critical": ":rotating_light:",
}


class Format(StrEnum):
    """How a webhook wants its messages."""

    CLOUDEVENTS = "cloudevents"
    SLACK = "slack"


@dataclass(frozen=True)
class Request:
    """One HTTP POST body with its headers (the same bytes on every attempt)."""

    headers: dict[str, str]
    body: bytes


def cloudevent(notice: Notice) -> CloudEvent:
    """The notice as a CloudEvents 1.0 event (`id` = idempotency key)."""
    attributes: dict[str, Any] = {
        "id": notice.key,
        "type": TYPE_PREFIX + notice.kind.value,
        "source": SOURCE,
        "subject": notice.subject,
        "time": notice.time,
        "datacontenttype": "application/json",
    }
    data = {"title": notice.title, "severity": notice.severity, **notice.facts}
    return CloudEvent(attributes, data)


def cloudevents_request(notice: Notice) -> Request:
    """A structured-mode CloudEvents HTTP request."""
    message = http.to_structured_event(cloudevent(notice))
    headers = {name.lower(): value for name, value in message.headers.items()}
    headers[HEADER_KEY.lower()] = notice.key
    return Request(headers, message.body)


def _field(name: str, value: Any) -> dict[str, str]:
    shown = ", ".join(map(str, value)) if isinstance(value, list) else value
    return {"type": "mrkdwn", "text": f"*{name}*\n{shown}"}


def slack_payload(notice: Notice) -> dict[str, Any]:
    """A Slack incoming-webhook message: `text` for notifications, blocks for the details."""
    text = f"{_ICONS.get(notice.severity, '')} {notice.title}".strip()
    fields = [
        _field(name, value)
        for name, value in notice.facts.items()
        if value not in (None, "", []) and name != "message"
    ][:10]  # Slack allows at most 10 fields in a section
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    if fields:
        blocks.append({"type": "section", "fields": fields})
    if notice.facts.get("message"):
        message = str(notice.facts["message"])[:2900]
        blocks.append({"type": "section", "text": {"type": "plain_text", "text": message}})
    context = f"{notice.kind.value} · {notice.time.isoformat()} · id {notice.key}"
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": context}]})
    return {"text": text, "blocks": blocks}


def slack_request(notice: Notice) -> Request:
    """A Slack-compatible JSON request."""
    body = json.dumps(slack_payload(notice), separators=(",", ":")).encode()
    return Request({"content-type": "application/json", HEADER_KEY.lower(): notice.key}, body)


def request(notice: Notice, format_: Format) -> Request:
    """The request for one webhook format."""
    if format_ is Format.SLACK:
        return slack_request(notice)
    return cloudevents_request(notice)

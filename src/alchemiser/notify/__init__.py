"""Notifications: what happened in the operator, told to webhooks (CloudEvents, Slack).

Rule: `notices` and `formats` are pure (facts in, messages out); `config` parses the
operator-wide configuration; only `delivery` does I/O (a bounded queue per webhook,
bounded retries, HTTP). A webhook URL is a credential: it is read from a file on each
delivery and never logged, raised, or written into a message, status or Event.
"""

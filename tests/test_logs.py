"""Every line a process logs has one shape, its own events and its libraries' alike."""

import io
import json
import logging

import pytest
import structlog

from alchemiser import logs


@pytest.fixture
def stream() -> io.StringIO:
    out = io.StringIO()
    yield out
    logging.basicConfig(force=True)
    structlog.reset_defaults()


def lines(stream: io.StringIO) -> list[str]:
    return stream.getvalue().splitlines()


def test_in_a_cluster_a_librarys_record_is_a_json_line_with_time_level_and_logger(
    stream: io.StringIO,
) -> None:
    """kopf's 'Handler ... succeeded' reads like our own events: JSON, timestamped, levelled."""
    logs.configure(json=True, stream=stream)
    logging.getLogger("kopf.objects").info("Handler 'reconcile-create' succeeded.")
    logs.get_logger("alchemiser.operator").info("reconciled", strategy="s")
    library, ours = (json.loads(line) for line in lines(stream))
    assert library["event"] == "Handler 'reconcile-create' succeeded."
    assert library["level"] == "info" and library["logger"] == "kopf.objects"
    assert library["timestamp"].endswith("Z")
    assert ours["event"] == "reconciled" and ours["strategy"] == "s" and ours["level"] == "info"


def test_a_librarys_traceback_stays_inside_its_one_json_line(stream: io.StringIO) -> None:
    """A handler's exception is one line with an `exception` field, not lines of plain text."""
    logs.configure(json=True, stream=stream)
    try:
        raise RuntimeError("apiserver said no")
    except RuntimeError:
        logging.getLogger("kopf.objects").exception("Handler 'x' failed with an exception.")
    (line,) = lines(stream)
    record = json.loads(line)
    assert record["level"] == "error"
    assert "RuntimeError: apiserver said no" in record["exception"]


def test_library_records_below_the_level_are_dropped(stream: io.StringIO) -> None:
    """--log-level warning keeps kopf's info lines out too."""
    logs.configure(json=True, level="WARNING", stream=stream)
    logging.getLogger("kopf.objects").info("Handler 'x' succeeded.")
    logging.getLogger("aiohttp.access").warning("slow")
    assert [json.loads(line)["event"] for line in lines(stream)] == ["slow"]


def test_locally_a_librarys_record_has_the_time_and_level_too(stream: io.StringIO) -> None:
    """Console output: a kopf line starts with its timestamp and shows its level."""
    logs.configure(json=False, stream=stream)
    logging.getLogger("kopf.activities.startup").info("Activity 'startup' succeeded.")
    (line,) = lines(stream)
    assert line.startswith("20") and "[info" in line and "Activity 'startup' succeeded." in line


def test_a_kopf_line_about_an_object_names_it(stream: io.StringIO) -> None:
    """kopf's per-object records (extra k8s_ref) say which strategy they are about."""
    logs.configure(json=True, stream=stream)
    ref = {"kind": "TradingStrategy", "namespace": "team-a", "name": "momentum", "uid": "u"}
    logging.getLogger("kopf.objects").info("Handler 'x' succeeded.", extra={"k8s_ref": ref})
    halt = {**ref, "namespace": None, "kind": "TradingHalt"}
    logging.getLogger("kopf.objects").info("Handler 'y' succeeded.", extra={"k8s_ref": halt})
    first, second = (json.loads(line) for line in lines(stream))
    assert first["object"] == "TradingStrategy team-a/momentum"
    assert second["object"] == "TradingHalt momentum"

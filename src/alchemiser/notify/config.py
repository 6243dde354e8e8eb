"""The operator-wide notification configuration (a file the chart renders from its values).

Rule: parsing only. `parse` turns the file's text into a NotifierConfig or raises
ConfigError naming the field and the reason; the URLs themselves stay in the files
that `urlFile` names (a mounted Secret), read at delivery time.
"""

import json
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from alchemiser.api import problems
from alchemiser.errors import ConfigError
from alchemiser.notify.formats import Format
from alchemiser.notify.notices import Kind, Notice

Name = Annotated[str, Field(pattern=r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True
    )


class Sink(_Model):
    """One webhook: where its URL is read from, its format, and which notices it wants."""

    name: Name
    format: Format = Format.CLOUDEVENTS
    url_file: Path  # a file holding the URL (a Secret key mounted into the operator pod)
    events: tuple[Kind, ...] = ()  # empty: every kind
    namespaces: tuple[str, ...] = ()  # empty: every namespace (halt notices go to all sinks)

    def wants(self, notice: Notice) -> bool:
        """Whether this webhook subscribed to the notice's kind and namespace."""
        if self.events and notice.kind not in self.events:
            return False
        if notice.namespace is None or not self.namespaces:
            return True
        return notice.namespace in self.namespaces


class NotifierConfig(_Model):
    """Every webhook plus the delivery bounds shared by all of them."""

    sinks: tuple[Sink, ...] = ()
    queue_limit: Annotated[int, Field(ge=1, le=100_000)] = 1000
    attempts: Annotated[int, Field(ge=1, le=20)] = 5
    timeout_seconds: Annotated[float, Field(gt=0, le=60)] = 5.0
    max_backoff_seconds: Annotated[float, Field(gt=0, le=600)] = 30.0
    workers_per_sink: Annotated[int, Field(ge=1, le=16)] = 2


def parse(text: str, *, source: str = "notifications config") -> NotifierConfig:
    """Parse YAML or JSON text; ConfigError names the field (e.g. `sinks[0].format`)."""
    try:
        raw: Any = yaml.safe_load(text) if text.strip() else {}
    except yaml.YAMLError as error:
        raise ConfigError(f"{source}: not valid YAML: {error}") from error
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: must be a mapping with a `sinks` list")
    try:
        config = NotifierConfig.model_validate(raw)
    except ValidationError as error:
        raise ConfigError(f"{source}: {problems.summary(error)}") from error
    names = [sink.name for sink in config.sinks]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ConfigError(f"{source}: sinks: duplicate name(s) {', '.join(duplicates)}")
    return config


def load(path: Path) -> NotifierConfig:
    """Read and parse the configuration file."""
    try:
        text = path.read_text()
    except OSError as error:
        raise ConfigError(
            f"notifications config {path}: cannot be read ({error.strerror})"
        ) from error
    return parse(text, source=f"notifications config {path}")


def dumps(config: NotifierConfig) -> str:
    """The configuration as JSON with the file's field names (for tests and tools)."""
    return json.dumps(config.model_dump(mode="json", by_alias=True))

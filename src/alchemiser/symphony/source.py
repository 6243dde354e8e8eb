"""Symphony text from the bytes it arrives as, and the digest status reports.

Rule: pure bytes -> text; no I/O. A ConfigMap holds a symphony either as text
(`data`) or, for files over its 1 MiB limit, gzip-compressed (`binaryData`);
both arrive here as bytes and gzip is recognised by its magic number.
"""

import gzip
import hashlib
import io
import zlib
from typing import Final

from alchemiser.errors import ConfigError

GZIP_MAGIC: Final = b"\x1f\x8b"
# The largest symphony text accepted once decompressed (real ones reach 2.2 MB).
MAX_TEXT_BYTES: Final = 16 * 1024 * 1024


def read_source(raw: bytes | str, what: str = "symphony") -> str:
    """Decode UTF-8 text, gunzipping first when it is gzip; ConfigError names `what`."""
    data = raw.encode() if isinstance(raw, str) else raw
    if data[:2] == GZIP_MAGIC:
        try:
            data = gzip.GzipFile(fileobj=io.BytesIO(data)).read(MAX_TEXT_BYTES + 1)
        except (OSError, EOFError, zlib.error) as error:
            raise ConfigError(f"{what}: not valid gzip: {error}") from error
    if len(data) > MAX_TEXT_BYTES:
        raise ConfigError(f"{what}: text is over {MAX_TEXT_BYTES} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(f"{what}: not UTF-8 text at byte {error.start}") from error


def digest(text: str) -> str:
    """`sha256:<hex>` of the UTF-8 text (what status shows for the text a run used)."""
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()

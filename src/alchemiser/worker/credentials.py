"""Broker credentials, read from the mounted Secret directory each time they are needed.

Rule: credentials come only from the two files kubelet projects into the directory
(never the environment), are read on use and again after the broker refuses them,
are never kept for the process lifetime, and never appear in a log, repr or error.
"""

from dataclasses import dataclass, field
from pathlib import Path

from alchemiser.api.runtime import KEY_ID_FILE, SECRET_KEY_FILE
from alchemiser.errors import CredentialsError


@dataclass(frozen=True)
class Credentials:
    """One read of the key pair; repr hides both values."""

    key_id: str = field(repr=False)
    secret_key: str = field(repr=False)


@dataclass(frozen=True)
class CredentialsDir:
    """A directory holding APCA_API_KEY_ID and APCA_API_SECRET_KEY (a mounted Secret)."""

    path: Path

    def read(self) -> Credentials:
        """Read both files now; raises CredentialsError naming the file, never its content."""
        return Credentials(
            key_id=self._read_one(KEY_ID_FILE), secret_key=self._read_one(SECRET_KEY_FILE)
        )

    def _read_one(self, name: str) -> str:
        # Path resolution happens on every read, so kubelet's atomic `..data` symlink
        # swap is followed and a rotated Secret is seen without a restart.
        file = self.path / name
        try:
            value = file.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            raise CredentialsError(f"credentials file {file} does not exist") from None
        except OSError as error:
            raise CredentialsError(
                f"credentials file {file} is unreadable: {error.strerror}"
            ) from None
        except UnicodeDecodeError:
            raise CredentialsError(f"credentials file {file} is not UTF-8 text") from None
        if not value:
            raise CredentialsError(f"credentials file {file} is empty")
        return value

"""Credentials come from the mounted Secret's files, read on every use, never shown."""

from pathlib import Path

import pytest
from run_support import kubelet_rotate, kubelet_secret_dir, write_credentials

from alchemiser.errors import CredentialsError
from alchemiser.worker.credentials import CredentialsDir


def test_reads_both_files_and_hides_them_in_repr(tmp_path: Path) -> None:
    """The pair is read (whitespace stripped) and neither value appears in its repr."""
    write_credentials(tmp_path, "key-id-1\n", "secret-value-1\n")
    credentials = CredentialsDir(tmp_path).read()
    assert (credentials.key_id, credentials.secret_key) == ("key-id-1", "secret-value-1")
    assert "secret-value-1" not in repr(credentials) and "key-id-1" not in repr(credentials)


def test_a_kubelet_rotation_is_seen_on_the_next_read(tmp_path: Path) -> None:
    """After the atomic ..data swap the very next read returns the new pair."""
    root = kubelet_secret_dir(tmp_path / "broker", "old-id", "old-secret")
    source = CredentialsDir(root)
    assert source.read().secret_key == "old-secret"
    kubelet_rotate(root, "new-id", "new-secret")
    assert source.read().secret_key == "new-secret"


def test_missing_or_empty_files_are_loud_errors_naming_the_file(tmp_path: Path) -> None:
    """A missing or empty file raises CredentialsError naming it; the other value is not shown."""
    with pytest.raises(CredentialsError, match="APCA_API_KEY_ID does not exist"):
        CredentialsDir(tmp_path).read()
    write_credentials(tmp_path, "key-id", "")
    with pytest.raises(CredentialsError, match="APCA_API_SECRET_KEY is empty") as raised:
        CredentialsDir(tmp_path).read()
    assert "key-id" not in str(raised.value).replace(str(tmp_path), "")


def test_the_environment_is_never_a_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """APCA_* environment variables are ignored: no files, no credentials."""
    monkeypatch.setenv("APCA_API_KEY_ID", "env-id")
    monkeypatch.setenv("APCA_API_SECRET_KEY", "env-secret")
    with pytest.raises(CredentialsError):
        CredentialsDir(tmp_path).read()

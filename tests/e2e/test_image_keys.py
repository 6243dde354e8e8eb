"""hack/image.py rebuilds exactly when what goes into the image changes."""

from __future__ import annotations

import shutil
from pathlib import Path

import image
import pytest


@pytest.fixture
def checkout(tmp_path: Path, repo_root: Path) -> Path:
    """A copy of the files the image is built from, plus files it must ignore."""
    for name in ("Dockerfile", ".dockerignore", "pyproject.toml", "requirements.lock", "README.md"):
        shutil.copy(repo_root / name, tmp_path / name)
    package = tmp_path / "src" / "alchemiser"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text('"""x."""\n')
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_x.py").write_text("")
    return tmp_path


def test_build_context_is_what_dockerignore_lets_in(checkout: Path) -> None:
    """Only pyproject, the lock, the README and src/ (without bytecode) count."""
    names = [p.relative_to(checkout).as_posix() for p in image.context_files(checkout)]
    assert names == [
        "README.md",
        "pyproject.toml",
        "requirements.lock",
        "src/alchemiser/__init__.py",
    ]


def test_key_changes_with_sources_and_not_with_ignored_files(checkout: Path) -> None:
    """A source edit changes the image key; a test file or bytecode does not."""
    before = image.image_key(checkout)
    (checkout / "tests" / "test_x.py").write_text("changed")
    (checkout / "src" / "alchemiser" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\1")
    assert image.image_key(checkout) == before
    (checkout / "src" / "alchemiser" / "__init__.py").write_text('"""y."""\n')
    assert image.image_key(checkout) != before


def test_wheelhouse_key_follows_the_lock(checkout: Path) -> None:
    """Changing requirements.lock changes the wheelhouse key (and so the image key)."""
    before = (image.wheelhouse_key(checkout), image.image_key(checkout))
    with (checkout / "requirements.lock").open("a") as lock:
        lock.write("# changed\n")
    after = (image.wheelhouse_key(checkout), image.image_key(checkout))
    assert after[0] != before[0] and after[1] != before[1]


def test_runtime_requirements_are_the_project_dependencies_and_the_backend(
    repo_root: Path,
) -> None:
    """The wheelhouse holds the runtime dependencies and setuptools, not the dev tools."""
    wanted = image.runtime_requirements(repo_root)
    assert any(r.startswith("kopf") for r in wanted)
    assert any(r.startswith("setuptools==") for r in wanted)
    assert not any(r.startswith(("pytest", "mypy", "ruff")) for r in wanted)


def test_the_base_is_built_as_a_tarball_then_imported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """mmdebstrap gets a name ending in .tar (else it writes a directory); podman imports it."""
    calls: list[list[str]] = []

    def run(step: str, argv: list[str], **_: object) -> None:
        calls.append(argv)
        if argv[0] == "mmdebstrap":  # as mmdebstrap(1): the format follows the output's name
            output = Path(argv[-1])
            if output.suffix == ".tar":
                output.write_bytes(b"tar")
            else:
                output.mkdir()

    monkeypatch.setattr(image, "_run", run)
    monkeypatch.setattr(image, "podman_has", lambda reference: False)
    reference = image.ensure_base(tmp_path)
    tarball = tmp_path / "image" / f"base-{image.SUITE}-{image.base_key()}.tar"
    assert tarball.read_bytes() == b"tar"
    assert calls[-1] == ["podman", "import", str(tarball), reference]
    assert [p.name for p in tarball.parent.iterdir()] == [tarball.name]

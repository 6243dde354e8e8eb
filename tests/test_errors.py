"""The error classes: each is raised somewhere, and each says whether a retry can help."""

import inspect
import re
from pathlib import Path

from alchemiser import errors

SRC = Path(errors.__file__).resolve().parent
PARENTS = {errors.AlchemiserError, errors.Retryable, errors.Permanent}


def _classes() -> list[type[errors.AlchemiserError]]:
    return [
        value
        for value in vars(errors).values()
        if inspect.isclass(value) and issubclass(value, errors.AlchemiserError)
    ]


def test_every_error_class_is_raised_somewhere_in_the_package() -> None:
    """A class nobody raises is dead weight: each leaf class is raised (or subclassed) in src."""
    code = "\n".join(path.read_text() for path in SRC.rglob("*.py") if path.name != "errors.py")
    for cls in _classes():
        if cls in PARENTS:
            continue
        used = re.search(rf"raise {cls.__name__}\b|\({cls.__name__}\)|{cls.__name__}\(", code)
        assert used, f"{cls.__name__} is never raised"


def test_retryable_and_permanent_never_overlap() -> None:
    """No error is both retryable and permanent; the broker's pair is one of each."""
    for cls in _classes():
        assert not (issubclass(cls, errors.Retryable) and issubclass(cls, errors.Permanent))
    assert issubclass(errors.BrokerUnavailable, errors.Retryable)
    assert issubclass(errors.HaltStateUnknown, errors.Retryable)
    assert issubclass(errors.OrderRejected, errors.Permanent)
    assert issubclass(errors.RiskRejected, errors.Permanent)


def test_every_error_class_says_when_it_is_raised() -> None:
    """Each class has a one-line docstring."""
    for cls in _classes():
        doc = cls.__doc__ or ""
        assert doc.strip() and "\n" not in doc.strip(), cls.__name__

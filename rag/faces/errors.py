"""Domain errors become one-line command-line errors here, for every command-line entry point
(`python -m rag`, `python -m eval`, `python -m bench`) and only at that boundary."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import click

from rag.core.errors import RagError

F = TypeVar("F", bound=Callable[..., Any])


def fail_cleanly(func: F) -> F:
    """Run a click command so that a RagError prints as `Error: <message>` with exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except RagError as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper  # type: ignore[return-value]

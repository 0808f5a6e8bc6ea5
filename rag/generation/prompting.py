"""Prompt templates live in prompts/*.j2 and are rendered with jinja2.

StrictUndefined makes a missing variable a named PromptError instead of an empty string that
would silently change what the model sees.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2

from rag.core.errors import PromptError


class PromptLibrary:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(self.folder)),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            autoescape=False,  # prompts are plain text for a model, never HTML
        )

    def render(self, name: str, **variables: Any) -> str:
        try:
            return self._env.get_template(f"{name}.j2").render(**variables).strip()
        except jinja2.TemplateNotFound:
            raise PromptError(f"no prompt template {name!r} in {str(self.folder)!r}") from None
        except jinja2.UndefinedError as exc:
            raise PromptError(f"prompt {name!r} needs a variable that was not given: {exc.message}") from None

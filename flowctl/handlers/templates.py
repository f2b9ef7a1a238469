"""Message templates: `TEMPLATE_ID.subject`, `TEMPLATE_ID.txt` and an optional
`TEMPLATE_ID.html` in one directory, rendered in Jinja2's sandbox.

The sandbox refuses what could reach Python's internals (`{{ ''.__class__.__mro__ }}`), and
`StrictUndefined` makes a missing variable an error instead of empty text, so that a typo never
reaches a customer's inbox. Only `.html` templates escape what they insert. A template id may
name a subdirectory (`newsletters/weekly`), never a file outside the directory.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import (
    BaseLoader,
    Environment,
    StrictUndefined,
    Template,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
    select_autoescape,
)
from jinja2.loaders import split_template_path
from jinja2.sandbox import SandboxedEnvironment

from flowctl.errors import InputError
from flowctl.loading.sources import read_capped


class TemplateProblem(Exception):
    """A template cannot be rendered: missing, malformed, or asking for a missing variable."""


#: The most of one template file read: more is a mistake, not a message.
MAX_TEMPLATE_BYTES = 1024 * 1024


class _BoundedLoader(BaseLoader):
    """Jinja's file loading, through flowctl's one reader: a regular file only (a FIFO or a
    device in the templates' folder must not hang the worker), at most `MAX_TEMPLATE_BYTES`,
    and never outside the directory (`..` is refused by `split_template_path`)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def get_source(self, environment: Environment, template: str) -> tuple[str, str, Any]:
        path = self.directory.joinpath(*split_template_path(template))
        if not path.exists():
            raise TemplateNotFound(template)
        try:
            source = read_capped(path, MAX_TEMPLATE_BYTES).decode("utf-8")
        except (InputError, UnicodeDecodeError) as exc:
            raise TemplateProblem(f"template file {path}: {exc}") from None
        return source, str(path), lambda: False  # compiled once per handler: never reloaded


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    text: str
    html: str | None


class Templates:
    """The templates of one directory; each file is read and compiled once per handler."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._environment = SandboxedEnvironment(
            loader=_BoundedLoader(directory),
            undefined=StrictUndefined,
            autoescape=select_autoescape(enabled_extensions=("html",), default=False),
            keep_trailing_newline=True,
            auto_reload=False,
        )

    def render(self, template_id: str, variables: Mapping[str, Any]) -> Rendered:
        """The subject (on one line), the text and the html (None without a `.html` file)."""
        subject = self._render(f"{template_id}.subject", variables)
        text = self._render(f"{template_id}.txt", variables)
        html_name = f"{template_id}.html"
        html = self._render(html_name, variables) if self._exists(html_name) else None
        return Rendered(" ".join(subject.split()), text, html)

    def _exists(self, name: str) -> bool:
        try:
            self._environment.get_template(name)
        except TemplateNotFound:
            return False
        except TemplateError:
            return True  # there, but broken: rendering it says how
        return True

    def _render(self, name: str, variables: Mapping[str, Any]) -> str:
        try:
            template: Template = self._environment.get_template(name)
            return template.render(variables)
        except TemplateNotFound as exc:  # this file, or one it includes
            missing = self.directory / (exc.name if isinstance(exc.name, str) else name)
            raise TemplateProblem(f"template file {missing} not found") from None
        except TemplateSyntaxError as exc:
            raise TemplateProblem(f"template {name}, line {exc.lineno}: {exc.message}") from None
        except TemplateError as exc:  # an undefined variable, a sandbox refusal
            raise TemplateProblem(f"template {name}: {exc.message or exc}") from None
        except Exception as exc:  # a template may fail in Python's ways too (1 / 0)
            raise TemplateProblem(f"template {name}: {type(exc).__name__}: {exc}") from None

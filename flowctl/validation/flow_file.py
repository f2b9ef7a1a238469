"""One flow file for the commands that use a flow whole (`run`, `graph`), checked as `validate`
checks it.

The project's configuration and inline suppressions apply, so `run` and `graph` show exactly the
diagnostics `flowctl validate` shows for the file, and refuse what it fails (`strict` too). But a
silenced or downgraded **error** still keeps the flow from running or being drawn: suppressions
quiet the linter, they do not make a dangling edge or a split that sums to 90 executable. Such
errors are kept apart, so the command can show them as errors and say why it stops.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flowctl.config.settings import Config
from flowctl.diagnostics.findings import Diagnostic, FileResult, sorted_diagnostics
from flowctl.diagnostics.verdict import ReportOptions, is_valid
from flowctl.loading.sources import read_input
from flowctl.loading.yaml_file import Limits
from flowctl.plugins.registry import Registry
from flowctl.validation.suppressions import apply

if TYPE_CHECKING:
    from flowctl.validation import Validator


@dataclass(frozen=True, slots=True)
class CheckedFlow:
    """A flow file's verdict: what `validate` reports, what else stops it, and its document."""

    result: FileResult  # as `flowctl validate` reports it
    silenced_errors: tuple[Diagnostic, ...]  # errors the configuration or comments silence
    strict: bool  # the configuration's `strict`: warnings fail, as for `validate`
    data: Mapping[str, Any] | None  # the document, only when nothing stops it
    registry: Registry

    @property
    def passes(self) -> bool:
        """Whether `flowctl validate` would pass the file (with the same configuration)."""
        return is_valid(self.result, ReportOptions(strict=self.strict))

    def shown(self) -> FileResult:
        """What to show: the result, with each silenced error back as the error it is."""
        if not self.silenced_errors:
            return self.result
        silenced = {_identity(diagnostic) for diagnostic in self.silenced_errors}
        kept = [d for d in self.result.diagnostics if _identity(d) not in silenced]
        diagnostics = sorted_diagnostics([*kept, *self.silenced_errors])
        return dataclasses.replace(self.result, diagnostics=diagnostics)


def check_flow(
    source: str | bytes, path: str, validator: Validator, config: Config | None = None
) -> CheckedFlow:
    """Validate one flow's content in full, with `config` and the file's suppressions applied."""
    config = config or Config()
    raw, document = validator.validate_loaded(source, path)
    result = apply(raw, config, document)
    shown = {_identity(diagnostic) for diagnostic in result.diagnostics if diagnostic.is_error}
    silenced = tuple(d for d in raw.diagnostics if d.is_error and _identity(d) not in shown)
    checked = CheckedFlow(result, silenced, config.strict, None, validator.registry)
    if document is None or not checked.passes or silenced:
        return checked
    return dataclasses.replace(checked, data=document.data)


def read_flow(path: str, limits: Limits) -> bytes:
    """A flow file's bytes (or stdin for '-'), one byte past `limits.max_bytes` at most (the
    loader reports it too large); `InputError` (exit 2) when it cannot be read."""
    return read_input(path, limits.max_bytes)


def _identity(diagnostic: Diagnostic) -> tuple[str, int, int, str]:
    """A diagnostic whatever severity the configuration gave it."""
    return (diagnostic.rule, diagnostic.line, diagnostic.column, diagnostic.message)

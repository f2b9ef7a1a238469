"""Validation: YAML loading, the merged schema and graph semantics, all problems at once.

`Validator.validate_source()` is the library entry point: text in, `FileResult` out. The merged
schema and its compiled validator are built once per `Validator`, so validating many files with
one pays for them once; the command line builds one per command (`flowctl.compose`). A document
is first checked by the schema's plain-Python predicate (`fast_schema`); `jsonschema` is imported
and asked only about a document that predicate rejects, to say what is wrong and where.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from flowctl.diagnostics.findings import (
    Diagnostic,
    FileResult,
    Finding,
    Severity,
    json_pointer,
    sorted_diagnostics,
)
from flowctl.diagnostics.rules import default_severity
from flowctl.language.timezones import zone
from flowctl.loading.yaml_file import Document, Limits, load
from flowctl.nodes.base import NodeSpec
from flowctl.plugins.registry import Registry
from flowctl.schema.merged import build_schema
from flowctl.validation.decisions import check_decisions
from flowctl.validation.duplicates import with_first_copies
from flowctl.validation.fast_schema import Undecided, compile_schema
from flowctl.validation.graph import check_graph
from flowctl.validation.schema_errors import Translator, head, node_label
from flowctl.validation.yaml_traps import boolean_traps

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

    from flowctl.validation.schema_check import SchemaChecker


class Validator:
    """Validates flow documents against one registry of node types (by default, the node types
    installed now, found through their entry points)."""

    def __init__(self, registry: Registry | None = None, limits: Limits | None = None) -> None:
        self.registry = registry if registry is not None else Registry.from_entry_points()
        self.limits = limits or Limits()
        self.schema = build_schema(self.registry)
        self._accepts = compile_schema(self.schema)
        self._checker: SchemaChecker | None = None

    def _passes_schema(self, data: Any) -> bool:
        return next(self.schema_errors(data), None) is None

    def schema_errors(self, data: Any) -> Iterator[ValidationError]:
        """The `jsonschema` errors of a document against the merged schema, in its order."""
        if self._accepts is not None:
            try:
                if self._accepts(data):
                    return iter(())
            except Undecided:
                pass
        if self._checker is None:
            from flowctl.validation.schema_check import SchemaChecker

            self._checker = SchemaChecker(self.schema)
        return self._checker.iter_errors(data)

    def validate_source(self, source: str | bytes, path: str) -> FileResult:
        """Load and validate one file's content; `path` is only for display."""
        return self.validate_loaded(source, path)[0]

    def validate_loaded(self, source: str | bytes, path: str) -> tuple[FileResult, Document | None]:
        """The result, and the loaded document (None when the YAML did not load)."""
        loaded = load(source, path, self.limits)
        text = loaded.document.text if loaded.document else _as_text(source)
        diagnostics = with_first_copies(loaded.diagnostics, text)
        if loaded.document is not None:
            diagnostics.extend(self.validate_document(loaded.document))
        return FileResult(path, sorted_diagnostics(diagnostics), text), loaded.document

    def validate_document(self, document: Document) -> list[Diagnostic]:
        """Every schema, graph and node-level problem of a loaded document."""
        return [locate(document, finding) for finding in self.findings(document)]

    def findings(self, document: Document) -> Iterator[Finding]:
        data = document.data
        if data is None:
            yield Finding(
                "schema",
                "the file is empty; a flow needs 'version', 'name', 'start' and 'nodes'",
                hint="see flows/ for examples, or run 'flowctl nodes'",
            )
            return
        translator = Translator(data, document.plain_scalar, self.registry.names())
        broken_nodes: set[str] = set()
        error_paths: set[tuple[Any, ...]] = set()
        for error in self.schema_errors(data):
            path = tuple(error.absolute_path)
            error_paths.add(path)
            if len(path) >= 2 and path[0] == "nodes":
                broken_nodes.add(str(path[1]))
            yield from translator.translate(error)
        yield from boolean_traps(document, error_paths, self._passes_schema)
        if not isinstance(data, Mapping):
            return
        yield from _check_settings(data)
        graph = list(check_graph(data, self.registry))
        yield from graph
        flagged: set[str] = set()  # nodes whose own checks found problems
        yield from self._node_checks(data, broken_nodes, flagged)
        if isinstance(data.get("nodes"), Mapping):
            # Paths mean something only in a flow whose schema and graph hold.
            whole = not error_paths and all(
                default_severity(finding.rule) is Severity.WARNING for finding in graph
            )
            yield from check_decisions(data, self.registry, broken_nodes, flagged, whole)

    def _node_checks(
        self, data: Mapping[str, Any], skip: set[str], flagged: set[str]
    ) -> Iterator[Finding]:
        """Each node type's own checks, on nodes the schema accepted; the ids of the nodes they
        find problems in go to `flagged`."""
        nodes = data.get("nodes")
        if not isinstance(nodes, Mapping):
            return
        for node_id, node in nodes.items():
            if node_id in skip or not isinstance(node, Mapping):
                continue
            node_type = self.registry.get(node.get("type"))  # type: ignore[arg-type]
            if node_type is None:
                continue
            spec = NodeSpec.of(node_id, node_type.name, node)
            try:
                found = list(node_type.check(spec))
            except Exception as exc:  # a plugin's bug must not hide the other problems
                flagged.add(node_id)
                registration = self.registry.registration(node_type.name)
                origin = registration.distribution if registration else "?"
                yield Finding(
                    "plugin-check-failed",
                    f"{node_label(data, node_id)}: the checks of node type '{node_type.name}' "
                    f"(from '{origin}') crashed: {type(exc).__name__}: {exc}",
                    ("nodes", node_id),
                    at_key=True,
                )
                continue
            if found:
                flagged.add(node_id)
            yield from (_about_node(data, finding) for finding in found)


def _about_node(data: Mapping[str, Any], finding: Finding) -> Finding:
    """Prefix a node check's message with the node and field it is about."""
    return dataclasses.replace(finding, message=f"{head(data, finding.path)}: {finding.message}")


def _check_settings(data: Mapping[str, Any]) -> Iterator[Finding]:
    settings = data.get("settings")
    timezone = settings.get("timezone") if isinstance(settings, Mapping) else None
    if isinstance(timezone, str) and not is_timezone(timezone):
        yield Finding(
            "invalid-timezone",
            f"settings.timezone '{timezone}' is not a known IANA time zone",
            ("settings", "timezone"),
            hint="use a name like 'Europe/Berlin', 'America/New_York' or 'UTC'",
        )


def is_timezone(name: str) -> bool:
    """Whether `name` is an IANA zone this machine knows."""
    return zone(name) is not None


def locate(document: Document, finding: Finding) -> Diagnostic:
    """Put a finding at its line and column."""
    if finding.at_key and finding.path:
        span = document.key_span(finding.path)
    else:
        span = document.value_span(finding.path)
    return Diagnostic(
        rule=finding.rule,
        severity=finding.severity or default_severity(finding.rule),
        message=finding.message,
        path=document.path,
        line=span.line,
        column=span.column,
        end_line=span.end_line,
        end_column=span.end_column,
        pointer=json_pointer(finding.path),
        hint=finding.hint,
    )


def _as_text(source: str | bytes) -> str:
    return source if isinstance(source, str) else source.decode("utf-8", errors="replace")

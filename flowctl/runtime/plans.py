"""Pinned flows: the prepared plan of each flow digest a run follows, read from the store.

A run finishes on the definition it was enrolled with, whatever happens to the file since:
the plan comes from the source the store kept under the run's digest, validated again (a
stored flow that no longer validates, say because a node plugin was uninstalled, fails its
runs with the reason instead of running something else).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from flowctl.engine.plan import PreparedFlow, load_flow
from flowctl.store.base import RunStore

if TYPE_CHECKING:
    from flowctl.validation import Validator


def digest_of(source: bytes) -> str:
    """A flow's digest: sha256 of its file's bytes, in hex."""
    return hashlib.sha256(source).hexdigest()


class PlanError(Exception):
    """A stored flow that cannot be prepared any more; its message says why."""


class Plans:
    """Prepared plans by digest, prepared once per process, each validated by `validator` (the
    command's; without one, a validator for the installed node types is built on the first
    stored flow read, once)."""

    def __init__(self, store: RunStore, validator: Validator | None = None) -> None:
        self._store = store
        self._validator = validator
        self._plans: dict[str, PreparedFlow | PlanError] = {}

    def add(self, digest: str, plan: PreparedFlow) -> None:
        """A plan the caller prepared already (`flowctl run` validated the file)."""
        self._plans[digest] = plan

    def get(self, digest: str) -> PreparedFlow:
        """The plan of `digest`; `PlanError` when it cannot be prepared."""
        found = self._plans.get(digest)
        if found is None:
            found = self._plans[digest] = self._prepare(digest)
        if isinstance(found, PlanError):
            raise found
        return found

    def _prepare(self, digest: str) -> PreparedFlow | PlanError:
        record = self._store.flow(digest)
        if record is None:
            return PlanError(f"flow {digest[:12]} is not in the state file")
        if self._validator is None:
            from flowctl.plugins.registry import Registry
            from flowctl.validation import Validator

            self._validator = Validator(Registry.from_entry_points())
        loaded = load_flow(record.source, record.path, validator=self._validator)
        if loaded.flow is None:
            errors = [d for d in loaded.result.diagnostics if d.is_error]
            first = errors[0].message if errors else "it does not validate"
            return PlanError(
                f"the pinned flow {record.path} ({digest[:12]}) no longer validates: {first}"
            )
        return loaded.flow

"""`--format json`: one object with every file's diagnostics and a summary (DESIGN §6).

The shape is a contract, published as `schemas/report.schema.json`: `version` is the version of
this format (raised only for a change that can break a reader; new fields do not), and
`flowctl_version` the version of the flowctl that wrote it. Lines and columns are 1-based and
count Unicode code points (a tab is one column); `end_column` points just past the span.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from flowctl import __version__
from flowctl.diagnostics.findings import FileResult
from flowctl.reporters import Format, Reporter, Summary, exit_code, is_valid

REPORT_VERSION = 1


class JsonReporter(Reporter):
    """Machine-readable output for scripts and CI."""

    name = Format.JSON

    def report(self, results: Sequence[FileResult]) -> None:
        summary = Summary.of(results, self.options)
        document = {
            "version": REPORT_VERSION,
            "flowctl_version": __version__,
            "files": [self._file(result) for result in results],
            "unreadable": [{"message": problem} for problem in self.unreadable],
            "summary": {
                "files": summary.files,
                "valid": summary.valid,
                "errors": summary.errors,
                "warnings": summary.warnings,
                "suppressed": summary.suppressed,
                "unreadable": len(self.unreadable),
                # Not "every file read is valid": false as well when a path named nothing.
                "passed": exit_code(results, self.unreadable, self.options) == 0,
            },
        }
        self.stream.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")

    def _file(self, result: FileResult) -> dict[str, Any]:
        return {
            "path": result.path,
            "valid": is_valid(result, self.options),
            "diagnostics": [d.to_dict() for d in result.diagnostics],
            "suppressed": [s.to_dict() for s in result.suppressed],
        }

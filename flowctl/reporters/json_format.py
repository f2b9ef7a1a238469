"""`--format json`: one object with every file's diagnostics and a summary (DESIGN §6)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from flowctl.diagnostics.findings import FileResult
from flowctl.reporters import Format, Reporter, Summary, is_valid


class JsonReporter(Reporter):
    """Machine-readable output for scripts and CI."""

    name = Format.JSON

    def report(self, results: Sequence[FileResult]) -> None:
        summary = Summary.of(results, self.options)
        document = {
            "files": [
                {
                    "path": result.path,
                    "valid": is_valid(result, self.options),
                    "diagnostics": [d.to_dict() for d in result.diagnostics],
                }
                for result in results
            ],
            "summary": {
                "files": summary.files,
                "valid": summary.valid,
                "errors": summary.errors,
                "warnings": summary.warnings,
            },
        }
        self.stream.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")

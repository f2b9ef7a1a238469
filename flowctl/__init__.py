"""flowctl: validate, dry-run and run marketing-automation flows kept as YAML files."""

from __future__ import annotations

__version__ = "0.1.0"
#: The project's home page; `[project.urls]` in pyproject.toml says the same (a test checks).
HOMEPAGE = "https://github.com/flowctl/flowctl"
#: Where each rule is explained: `docs/validation.md` has one heading per rule id.
RULES_DOC = f"{HOMEPAGE}/blob/main/docs/validation.md"

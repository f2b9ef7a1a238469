"""flowctl: validate, dry-run and run marketing-automation flows kept as YAML files."""

from __future__ import annotations

__version__ = "0.1.0"

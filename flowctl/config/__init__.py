"""Configuration: `[tool.flowctl]` in pyproject.toml or `.flowctl.toml`, read and checked."""

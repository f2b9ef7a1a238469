"""Diagnostics: findings and located diagnostics, the rule catalogue and severities."""

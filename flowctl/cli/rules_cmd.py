"""`flowctl rules [RULE]`: every rule id with its severity, explanation and example."""

from __future__ import annotations

import typer

from flowctl.cli import _complete
from flowctl.cli._errors import error_handler
from flowctl.errors import UsageError

WIDTH = 88


def describe(rule_id: str) -> str:
    """One rule as a section: `id (severity): summary`, the explanation, the example."""
    import textwrap

    from flowctl.diagnostics.rules import RULES

    rule = RULES[rule_id]
    explanation = textwrap.fill(
        rule.explanation, WIDTH, initial_indent="  ", subsequent_indent="  "
    )
    example = textwrap.indent(rule.example, "    ")
    return f"{rule.id} ({rule.severity}): {rule.summary}\n{explanation}\n  example:\n{example}\n"


def rules(
    rule_id: str | None = typer.Argument(
        None, metavar="[RULE]", help="Show one rule.", autocompletion=_complete.rule_ids
    ),
) -> None:
    """The rules `validate` checks: what each means, why, and an example that breaks it.

    The same text goes into SARIF output. Rule ids are what the `ignore` and `severity`
    settings and `# flowctl: ignore[RULE]` comments take.
    """
    from flowctl.diagnostics.rules import RULES
    from flowctl.words import did_you_mean

    with error_handler():
        if rule_id is not None and rule_id not in RULES:
            hint = did_you_mean(rule_id, RULES) or "run 'flowctl rules' to list them"
            raise UsageError(f"no rule '{rule_id}'; {hint}")
        typer.echo(
            "\n".join(describe(shown) for shown in ([rule_id] if rule_id else RULES)), nl=False
        )

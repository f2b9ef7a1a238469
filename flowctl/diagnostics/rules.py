"""The catalogue of rule ids: stable names users filter, suppress and search for.

Each rule carries the text `flowctl rules`, SARIF and the docs show, so it is written once.
"""

from __future__ import annotations

from dataclasses import dataclass

from flowctl.diagnostics.findings import Severity


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule id with its default severity and its documentation."""

    id: str
    severity: Severity
    summary: str
    explanation: str
    example: str


_E = Severity.ERROR
_W = Severity.WARNING

_RULES = (
    Rule(
        "yaml-syntax",
        _E,
        "The file is not valid YAML.",
        "The YAML parser stopped at this position. Nothing else in the file can be checked until "
        "it parses. Also used for a file holding several YAML documents, an unknown `!tag`, or a "
        "mapping key that is not a plain scalar.",
        "nodes:\n  welcome: {type: send_message\n# missing closing brace",
    ),
    Rule(
        "duplicate-key",
        _E,
        "A mapping repeats a key.",
        "YAML parsers silently keep the last of two equal keys, so one of your definitions is "
        "lost without a word. Rename or merge the two entries. Merge keys (`<<: *anchor`) may "
        "be overridden on purpose and are not reported.",
        "nodes:\n  welcome: {type: goal, config: {name: a}}\n"
        "  welcome: {type: goal, config: {name: b}}",
    ),
    Rule(
        "yaml-limits",
        _E,
        "The file is too large, too deep, or its aliases expand too far.",
        "flowctl refuses files over the size limit, nesting deeper than the depth limit and "
        "aliases that expand to more nodes than the limit (a 'billion laughs' document), so that "
        "validation stays fast and bounded in memory on any input.",
        "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n# ...",
    ),
    Rule(
        "schema",
        _E,
        "The document breaks the flow schema.",
        "A field is missing, unknown, of the wrong type or out of range. The schema is merged "
        "from the base flow format and every registered node type's config fragment; run "
        "`flowctl nodes TYPE` to see a type's fields. YAML 1.1 reads some unquoted values as "
        "numbers, booleans or dates (`NO` is false, `12:30` is 750): quote them.",
        "welcome:\n  type: send_message\n  config: {channel: email}   # template_id is required",
    ),
    Rule(
        "unknown-node-type",
        _E,
        "A node's `type` names no registered node type.",
        "Every node's `type` must be one of the registered node types: the built-ins or a "
        "plugin's (`flowctl nodes` lists them). A misspelt type gets a 'did you mean' hint.",
        "welcome:\n  type: send_mesage",
    ),
    Rule(
        "missing-start",
        _E,
        "`start` names no node.",
        "`start` must be the id of one of the flow's nodes: the node every contact enters first.",
        "start: welcom\nnodes:\n  welcome: {type: goal, config: {name: done}}",
    ),
    Rule(
        "dangling-edge",
        _E,
        "An exit points to a node id that does not exist.",
        "A `next` value (or one exit of a `next` mapping) must name a node of the same flow, or "
        "be null to end the path there.",
        "welcome:\n  type: send_message\n  config: {channel: email, template_id: hi}\n"
        "  next: wiat_2d",
    ),
    Rule(
        "missing-exit",
        _E,
        "A node with named exits leaves one unmapped.",
        "Nodes with named exits (branch, split, wait_for_event, ...) must map every exit in "
        "`next`, so that no contact falls off the flow by accident. Map an exit to null to end "
        "the path there on purpose.",
        "wait:\n  type: wait_for_event\n  config: {event: purchased, timeout: 3d}\n"
        "  next: {received: thanks}   # 'timeout' is not mapped",
    ),
    Rule(
        "unknown-exit",
        _E,
        "`next` names an exit the node does not have.",
        "The keys of a `next` mapping must be the node's exits: a branch's case names plus "
        "`default`, a split's variant names, `received`/`timeout` for wait_for_event. A node "
        "without exits (goal) takes no `next`; a single-exit node takes a node id, not a mapping.",
        "wait:\n  type: wait_for_event\n  config: {event: purchased, timeout: 3d}\n"
        "  next: {recieved: thanks, timeout: null}",
    ),
    Rule(
        "cycle",
        _E,
        "The graph has a cycle.",
        "Flows are directed acyclic graphs: a contact must never come back to a node it has "
        "left. The message lists the cycle; cut one of its edges.",
        "a: {type: delay, config: {duration: 1d}, next: b}\n"
        "b: {type: delay, config: {duration: 1d}, next: a}",
    ),
    Rule(
        "unreachable-node",
        _W,
        "No path from `start` reaches the node.",
        "The node can never run. Connect it, or delete it. This is a warning: it fails "
        "validation only with --strict.",
        "start: a\nnodes:\n  a: {type: goal, config: {name: done}}\n"
        "  orphan: {type: goal, config: {name: x}}",
    ),
    Rule(
        "shadowed-case",
        _E,
        "A `branch` case can never win: an earlier case always holds when it does.",
        "Cases are tested in order and the first that holds wins, so a case whose condition "
        "implies an earlier one's is dead: the same condition, a narrower list (`in: [a]` "
        "after `in: [a, b]` on the same attribute), a stricter bound (`gt: 10` after `gt: 5`), "
        "a narrower event (more `where`, a shorter `within`). Put the narrower case first, or "
        "remove it. Only what can be proved is reported: a case that might win never is.",
        "cases:\n  buyers: {attribute: total, gt: 5}\n"
        "  big_buyers: {attribute: total, gt: 10}   # never wins: gt 10 implies gt 5",
    ),
    Rule(
        "contradiction",
        _E,
        "An `all` can never hold: two of its parts exclude each other.",
        "No contact meets both parts: one attribute equal to two values, `gt: 10` with `lt: 5`, "
        "`in` and `not_in` the same values, a number bound with a string bound, `exists: false` "
        "with a comparison, a condition with its own negation. A filter with such a condition "
        "lets no one through; a branch case with one never wins. Did you mean `any`?",
        "condition:\n  all:\n    - {attribute: plan, equals: pro}\n"
        "    - {attribute: plan, equals: team}",
    ),
    Rule(
        "unreachable-goal",
        _W,
        "Paths lead to the goal, but only through exits no contact can take.",
        "The goal is connected, so `unreachable-node` says nothing, yet every path to it goes "
        "through a branch case that never wins (`shadowed-case`) or never holds, or a filter "
        "whose condition never holds (`contradiction`): no contact can convert there. The "
        "message names those exits. A goal no path reaches at all is `unreachable-node`'s.",
        "check: {type: filter, config: {condition: {all: [{attribute: age, gt: 60}, "
        "{attribute: age, lt: 18}]}}, next: done}\ndone: {type: goal, config: {name: x}}",
    ),
    Rule(
        "useless-delay",
        _W,
        "A `delay` that nothing follows: the contact waits for nothing.",
        "A wait at the end of a path (or followed only by more waits) delays nothing: no node "
        "runs after it. Remove it, or add the node that should follow. If it is there to keep "
        "the contact enrolled (a real run's `settings.reentry: false` enrols no one who has a "
        "waiting run), say so with `# flowctl: ignore[useless-delay]`.",
        "thanks: {type: send_message, config: {channel: email, template_id: t}, next: pause}\n"
        "pause: {type: delay, config: {duration: 3d}}",
    ),
    Rule(
        "split-percentages",
        _E,
        "`split` variants do not sum to 100.",
        "A split assigns every contact to exactly one variant, by a stable hash of contact id "
        "and node id; the variants' integer percentages must add up to exactly 100.",
        "ab:\n  type: split\n  config: {variants: {a: 50, b: 40}}",
    ),
    Rule(
        "invalid-condition",
        _E,
        "A condition is malformed.",
        "A condition is a leaf `{attribute: PATH, OPERATOR: VALUE}` with exactly one operator "
        "(equals, not_equals, in, not_in, contains, not_contains, gt, gte, lt, lte, exists, "
        "starts_with), an event condition `{event: NAME, where: {...}, within: DURATION}`, or "
        "`{all: [...]}`, `{any: [...]}`, `{not: COND}`.",
        "condition: {attribute: plan, equals: pro, in: [pro, team]}   # two operators",
    ),
    Rule(
        "invalid-duration",
        _E,
        "A duration or time of day does not parse.",
        "Durations are `<int><unit>` with unit s, m, h, d or w (`90m`, `3d`) or ISO 8601 "
        "durations without years or months (`P3D`, `PT90M`). Times of day are 24-hour `HH:MM`.",
        "config: {duration: 3 days}",
    ),
    Rule(
        "invalid-reference",
        _E,
        "A `{{ }}` reference is malformed.",
        "Inside message params and webhook url, headers and body, `{{ id }}` is the contact id "
        "and `{{ attributes.PATH }}` one of its attributes. Anything else between the braces, "
        "or an unclosed `{{`, is an error.",
        "params: {first_name: '{{ attribute.first_name }}'}",
    ),
    Rule(
        "invalid-timezone",
        _E,
        "A timezone is not a known IANA zone.",
        "`settings.timezone` must be an IANA time zone name such as `Europe/Berlin` or `UTC`.",
        "settings: {timezone: Berlin}",
    ),
    Rule(
        "test-failed",
        _E,
        "A flow test case's run broke one of its expectations.",
        "`flowctl test` dry-runs each case of a `*.flowtest.yaml` file and checks what it "
        "expects: the exact `path`, nodes it `visits` or `not_visits`, the `exits` it takes, "
        "its final `status`, when it `ended_at`, the time it reached nodes (`at`), and its "
        "`effects` in order, each a subset of the effect. The report points at the broken "
        "expectation and shows the expected and the actual value side by side, with the path "
        "the contact took. A run that fails fails its case unless it expects `status: failed`.",
        "expect:\n  exits: {by_category: shoes}   # the contact left by 'default'",
    ),
    Rule(
        "test-invalid",
        _E,
        "A flow test file cannot be used as written.",
        "The file breaks the flow test format (an unknown key, a value of the wrong shape, a "
        "time that is not ISO 8601, a contact that is no contact), names a node or an exit "
        "its flow does not have, or names a flow that is missing or invalid. The cases it "
        "spoils do not run, and the file fails. Misspelt keys, node ids and exits get a "
        "'did you mean' hint. `docs/testing.md` describes the format.",
        "cases:\n  shoes buyer:\n    contact: {id: c1}\n    expect: {vists: [shoes_offer]}",
    ),
    Rule(
        "test-coverage",
        _E,
        "A flow's exit coverage is below `--min-coverage`.",
        "Exit coverage is the share of a flow's (node, exit) pairs that at least one case's "
        "run took: each named exit of a branch, split or wait_for_event, and the one exit of "
        "other nodes. `flowctl test --min-coverage PERCENT` fails each flow below it and lists "
        "the exits no case took; add a case that takes them.",
        "flowctl test --min-coverage 100   # by_category -> bags: no case took it",
    ),
    Rule(
        "yaml-boolean",
        _W,
        "An unquoted yes, no, on or off is read as a boolean.",
        "flowctl reads YAML 1.1, like PyYAML and many other tools: there an unquoted `yes`, `no`, "
        "`on` or `off`, in any case, is the boolean true or false, not the word. In a value that "
        "may be anything (a condition's operand, template params, `update_contact.set`), the "
        "flow silently compares with a boolean: `in: [SE, NO, DK]` never matches Norway. Quote "
        "the word for text; write `true` or `false` for a boolean.",
        "condition: {attribute: country, in: [SE, NO, DK]}",
    ),
    Rule(
        "invalid-suppression",
        _W,
        "A `# flowctl: ignore[...]` comment silences nothing.",
        "A suppression comment names the rules it silences: `# flowctl: ignore[RULE]`, or "
        "several ids separated by commas, on the offending line or on the line of the node's "
        "id. A bare `# flowctl: ignore`, an empty list, an unknown rule id or a misspelt "
        "directive silences nothing and is reported, so that a typo never hides a problem. "
        "`flowctl rules` lists the ids.",
        "orphan: {type: goal, config: {name: x}}   # flowctl: ignore[unreachable-nod]",
    ),
    Rule(
        "plugin-check-failed",
        _E,
        "A node type's own check crashed.",
        "The extra checks of a node type (a built-in or a plugin) raised an exception instead of "
        "reporting diagnostics. This is a bug in that node type; the message names it.",
        "(depends on the plugin)",
    ),
)

RULES: dict[str, Rule] = {rule.id: rule for rule in sorted(_RULES, key=lambda r: r.id)}


def default_severity(rule_id: str) -> Severity:
    """The severity a rule has unless configured otherwise; a plugin's own rule ids are errors."""
    rule = RULES.get(rule_id)
    return rule.severity if rule else Severity.ERROR

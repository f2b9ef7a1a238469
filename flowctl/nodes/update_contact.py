"""`update_contact`: set or remove contact attributes; later nodes see the change."""

from __future__ import annotations

from typing import Any, ClassVar

from flowctl.effects import ContactUpdate
from flowctl.language.contacts import Contact, set_attribute, unset_attribute
from flowctl.nodes.base import NodeSpec, NodeType, Outcome, RunContext, Step, object_schema

ATTRIBUTE_PATH = r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$"
_PATH_MESSAGE = "is not an attribute path: names of letters, digits, '_' or '-', joined by dots"


class UpdateContact(NodeType):
    """Set attributes to values and remove others."""

    name = "update_contact"
    summary = "Set contact attributes (dotted paths) and/or remove some."
    config_schema: ClassVar[dict[str, Any]] = object_schema(
        {
            "set": {
                "type": "object",
                "additionalProperties": {"$ref": "#/definitions/json_value"},
                "description": "Attribute path -> new value (any JSON value).",
                "minProperties": 1,
                "propertyNames": {"pattern": ATTRIBUTE_PATH, "errorMessage": _PATH_MESSAGE},
                "examples": [{"lifecycle.stage": "customer"}],
            },
            "unset": {
                "type": "array",
                "description": "Attribute paths to remove.",
                "minItems": 1,
                "items": {
                    "type": "string",
                    "pattern": ATTRIBUTE_PATH,
                    "errorMessage": _PATH_MESSAGE,
                },
                "examples": [["cart.items"]],
            },
        },
        allOf=[
            {
                "anyOf": [{"required": ["set"]}, {"required": ["unset"]}],
                "errorMessage": "needs 'set', 'unset' or both",
            }
        ],
    )
    example: ClassVar[dict[str, Any]] = {
        "type": "update_contact",
        "config": {"set": {"lifecycle.stage": "customer"}, "unset": ["cart"]},
        "next": "thank_you",
    }

    def prepare(self, node: NodeSpec) -> Step:
        sets = dict(node.config.get("set", {}))
        unsets = list(node.config.get("unset", []))
        # Unset after set, so `{set: {a.b: 1}, unset: [a]}` leaves no `a`, as written top-down.
        effect = ContactUpdate(sets or None, tuple(unsets) or None)

        def update(ctx: RunContext) -> Outcome:
            attributes = ctx.contact.attributes
            for path, value in sets.items():
                attributes = set_attribute(attributes, path, value)
            for path in unsets:
                attributes = unset_attribute(attributes, path)
            contact = Contact(ctx.contact.id, attributes, ctx.contact.events)
            return Outcome(effect=effect, contact=contact)

        return update

"""The merged JSON Schema: every node type's config fragment assembled into one document."""

"""Plugins: the node-type registry, entry-point discovery and the node catalogue."""

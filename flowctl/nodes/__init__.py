"""Node types. Each built-in lives in its own module and registers through the `flowctl.nodes`
entry-point group, exactly like a third-party plugin; `base` holds what they share."""

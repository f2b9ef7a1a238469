"""Loading: reading input files with bounds, and YAML documents that keep their positions."""

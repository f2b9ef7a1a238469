"""Benchmarks: `python -m benchmarks [NAME...]` runs every `bench_*.py` (or the named ones)."""

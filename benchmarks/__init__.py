"""Benchmarks (not timed tests): run a module with ``python -m benchmarks.<name>``."""

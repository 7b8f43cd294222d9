"""Helpers of benchmarks/mrz.py: scoring, leave-one-source-out, tables."""

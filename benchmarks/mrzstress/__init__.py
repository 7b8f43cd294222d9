"""Synthetic MRZ stress set: documents of every ICAO format from many states, photographed
badly, generated from a seed on the fly (never stored). Shares no code with openidv.

    python -m benchmarks.mrzstress --out DIR [--count N] [--seed S]   # write a set to look at
"""

from benchmarks.mrzstress.generate import StressSample, generate, generate_set

__all__ = ["StressSample", "generate", "generate_set"]

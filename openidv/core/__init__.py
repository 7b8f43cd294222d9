"""The domain's vocabulary, errors and wire shapes: plain Python, no I/O, no other openidv imports."""

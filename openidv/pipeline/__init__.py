"""The verification pipeline: pure functions from images to typed results (no database, no HTTP)."""

"""Helpers for tests that drive a real openidv server as a black box."""

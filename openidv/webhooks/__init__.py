"""Signed webhooks to partners (SPEC 7): payload signing, SSRF-safe delivery, retry schedule."""

"""Signed webhooks to partners: the outbox row, one delivery attempt, signing and SSRF-safe posting."""

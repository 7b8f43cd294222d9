"""Persistence: database models and sessions, migrations, the encrypted file store."""

"""openidv: a self-hostable identity verification (KYC) service."""

__version__ = "0.1.0"

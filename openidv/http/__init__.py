"""HTTP plumbing shared by the partner API and the web pages: reading request bodies within
their limits, and the per-request context middleware."""

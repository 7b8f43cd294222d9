"""The use cases that the partner API (api/), the hosted pages (web/) and the worker (jobs/)
share: taking a token's images in, processing a verification, reviewing it, retrieving and
erasing it. HTTP stays outside; the database and the pipeline are called from here."""

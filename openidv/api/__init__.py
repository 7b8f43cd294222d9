"""The HTTP interface: partner API routes, request/response models, errors."""

"""Server-rendered pages: the hosted capture flow for end users and the review console."""

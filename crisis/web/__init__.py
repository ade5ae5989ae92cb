"""Web plumbing shared by every package: middleware, auth, the API registry, health and metrics."""

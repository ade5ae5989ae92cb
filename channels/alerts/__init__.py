"""Alerts: citizens subscribe to départements on their channel; a publication marked for
push is broadcast to every subscriber of its areas, paced, exactly once, with progress.
See docs/alerts.md."""

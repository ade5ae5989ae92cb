"""The web-chat channel: a WebSocket and a small widget the static site loads lazily."""

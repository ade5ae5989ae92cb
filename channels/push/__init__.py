"""Web Push: the browser's alert channel (VAPID keys, subscriptions, the sending adapter)."""

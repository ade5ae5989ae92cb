"""How each alert channel tells its recipient to stop alerts: added to every alert by the
broadcast (channels/alerts/sending.py) and counted in the cell's SMS length preview
(static_site/cell/), so both read it here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

STOP_HINT: Final[Mapping[str, Mapping[str, str]]] = {
    "sms": {"fr": "STOP pour ne plus recevoir", "en": "STOP to unsubscribe"},
    "telegram": {"fr": "/stop pour ne plus recevoir", "en": "/stop to unsubscribe"},
    "email": {"fr": "Pour ne plus recevoir ces alertes, répondez STOP.",
              "en": "To stop these alerts, reply STOP."},
    "push": {"fr": "", "en": ""},  # the browser's own notification settings stop them
}

"""Times as people read them on a page: in the centre's time zone (CRISIS_TIMEZONE), per language.

Every page the project renders (console, web chat, cell, site) formats its times here; the
JSON API and the logs keep UTC ISO 8601. Stored times are UTC-aware (crisis.types.utcnow).
"""

from __future__ import annotations

import datetime as dt
from typing import Final, Literal
from zoneinfo import ZoneInfo

Style = Literal["time", "seconds", "date", "datetime"]

_MONTHS_EN: Final = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                     "Nov", "Dec")


def local_time(value: dt.datetime, zone: ZoneInfo, lang: str, style: Style = "datetime") -> str:
    """`value` in `zone`, written the way `lang` readers expect.

    "time" 07:42, "seconds" 07:42:05, "date" 02/12/2026 (fr) or 2 Dec 2026 (en), "datetime"
    02/12/2026 à 07:42 (fr) or 2 Dec 2026, 07:42 (en). A naive value is taken as UTC.
    """
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    local = value.astimezone(zone)
    if style == "time":
        return local.strftime("%H:%M")
    if style == "seconds":
        return local.strftime("%H:%M:%S")
    # The month names are written out here: strftime's %b follows the process locale.
    date = (local.strftime("%d/%m/%Y") if lang != "en"
            else f"{local.day} {_MONTHS_EN[local.month - 1]} {local.year}")
    if style == "date":
        return date
    return f"{date} à {local:%H:%M}" if lang != "en" else f"{date}, {local:%H:%M}"

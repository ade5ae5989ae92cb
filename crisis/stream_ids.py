"""Redis Stream ids ("<milliseconds>-<sequence>"): what the centre reads from them.

An id is the time Redis added the entry, so the age of a stream's oldest unread entry, or the
UTC day an audit entry belongs to, comes from its id without reading the entry.
"""

from __future__ import annotations


def stream_id_parts(stream_id: str | bytes | None) -> tuple[int, int]:
    """(milliseconds, sequence): ids compare in this order, not as strings. Takes an id as a
    client returns it (str with decoded responses, bytes without)."""
    text = stream_id.decode() if isinstance(stream_id, bytes) else str(stream_id)
    millis, _, sequence = text.partition("-")
    return int(millis), int(sequence or 0)


def stream_id_seconds(stream_id: str | bytes | None) -> float:
    """The time the entry was added, in seconds since the epoch."""
    return stream_id_parts(stream_id)[0] / 1000

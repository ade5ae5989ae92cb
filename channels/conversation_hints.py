"""Which conversation each address was last in, as this process saw it: the receive script's
hint (channels/store_receive.lua).

A Lua script may touch only the keys it is given, and the conversation an inbound message
belongs to is known only once its address key is read. The store passes the keys of the
conversation remembered here; when the address has moved on (closed and reopened by another
process, or never seen here) the script writes nothing and names the right one, and the store
calls again: one extra round trip, on a miss only. A chat socket stays on one process, so a
conversation's later messages nearly always hit.
"""

from __future__ import annotations

DEFAULT_SIZE = 10_000  # about 3 MB of strings; the oldest entry goes first


class ConversationHints:
    """A bounded map from an address key to the conversation id last seen for it."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self.size = size
        self._ids: dict[str, str] = {}

    def get(self, address_key: str) -> str:
        """The remembered conversation id, '' when none."""
        return self._ids.get(address_key, "")

    def remember(self, address_key: str, conversation_id: str) -> None:
        self._ids.pop(address_key, None)  # re-inserted last: the most recent stays longest
        self._ids[address_key] = conversation_id
        if len(self._ids) > self.size:
            del self._ids[next(iter(self._ids))]

"""TwiML answers that are the same for many callers, built once per IVR content.

The first turn, "1" (the instructions again) and a wait round with nothing personal to say
depend only on the content (greeting, menu, instructions in force), the language and a few
small figures (the position and wait announced, whether the callback is offered). In a surge
thousands of calls hear the same ones: building each answer with twilio's VoiceResponse and
the spoken form costs more than the rest of the webhook.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from channels.voice.content import IvrContent

MAX_ENTRIES = 4096  # positions x minutes x languages x offers: far more than a queue holds


class TwimlCache:
    """`get(content, key, build)`: the TwiML built for `key` under this very content.

    The cache holds the content it was filled for and starts afresh when it is given
    another one (the content source hands the same object back while nothing changed), so
    no answer outlives the greeting, menu or instructions it read."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._content: IvrContent | None = None
        self._built: dict[Hashable, str] = {}

    def get(self, content: IvrContent, key: Hashable, build: Callable[[], str]) -> str:
        if content is not self._content:
            self._content, self._built = content, {}
        found = self._built.get(key)
        if found is None:
            found = build()
            if len(self._built) >= self.max_entries:
                self._built.clear()  # bounded; what is still in use comes back at once
            self._built[key] = found
        return found

"""Redis keys of the watch (all under `<prefix>watch:`), built here and nowhere else.

| key                          | type   | lifetime                                                  |
|------------------------------|--------|-----------------------------------------------------------|
| watch:signals                | stream | trimmed to ~SIGNALS_MAXLEN entries (raw signals to normalise) |
| watch:latest                 | list   | the last 50 normalised signals (JSON, newest first)       |
| watch:totals                 | hash   | forever (signals imported, normalised, rejected; per source kind and sentiment) |
| watch:counts:{window}        | hash   | 2 days ("kind:value" -> signals in that 5-minute window)  |
| watch:terms:{minute}         | hash   | MINUTE_TTL_S, 27 min ("scope\x1fgram" -> signals that minute) |
| watch:terms:baseline         | string | forever, bounded (JSON: EWMA rate per counter, last minute rolled) |
| watch:terms:trending         | string | 10 min (JSON: the last trend cycle's trending grams) |
| watch:terms:lock             | string | 29 s (the process running this trend cycle) |
| watch:rumours                | hash   | until the cell removes it (claim id -> JSON claim and variants) |
| watch:feeds                  | hash   | until `crisis feeds remove` (feed name -> JSON feed)      |
| watch:feed:{name}:state      | hash   | as long as the feed (ETag, Last-Modified, health, reason, failures) |
| watch:feed:{name}:seen       | zset   | as long as the feed, the last 5,000 entries (entry id or link -> first seen) |
| watch:mastodon:state         | hash   | forever (the Mastodon source's health, reason, counts, rate-limit budget, chain) |
| watch:mastodon:cursors       | hash   | while the keyword is watched ("tag:x" or "search:x" -> newest status id read) |
| watch:mastodon:seen          | zset   | forever, the last 20,000 statuses (URI -> first seen) |
| watch:mastodon:starting      | string | 60 s (the process starting a new chain of Mastodon runs) |
| watch:reports                | list   | the last 200 situation reports (JSON: id, time, period, author; newest first) |
| watch:report:{id}            | string | 180 days (JSON: one situation report's data) |
| watch:demo:player            | string | 10 s, renewed (the process playing the demo signal stream; `crisis up --demo` only) |
| watch:polls                  | hash   | forever (date, institute, question, answer -> JSON poll result) |
"""

from __future__ import annotations

import dataclasses

from crisis.keys import Keys

SIGNALS_MAXLEN = 200_000


@dataclasses.dataclass(frozen=True)
class WatchKeys:
    keys: Keys

    @property
    def signals(self) -> str:
        return self.keys.scoped("watch", "signals")

    @property
    def latest(self) -> str:
        return self.keys.scoped("watch", "latest")

    @property
    def totals(self) -> str:
        return self.keys.scoped("watch", "totals")

    def counts(self, window: str) -> str:
        return self.keys.scoped("watch", "counts", window)

    def term_minute(self, minute: str) -> str:
        return self.keys.scoped("watch", "terms", minute)

    @property
    def term_baseline(self) -> str:
        return self.keys.scoped("watch", "terms", "baseline")

    @property
    def term_trending(self) -> str:
        return self.keys.scoped("watch", "terms", "trending")

    @property
    def term_lock(self) -> str:
        return self.keys.scoped("watch", "terms", "lock")

    @property
    def rumours(self) -> str:
        return self.keys.scoped("watch", "rumours")

    @property
    def feeds(self) -> str:
        return self.keys.scoped("watch", "feeds")

    def feed_state(self, name: str) -> str:
        return self.keys.scoped("watch", "feed", name, "state")

    def feed_seen(self, name: str) -> str:
        return self.keys.scoped("watch", "feed", name, "seen")

    @property
    def mastodon_state(self) -> str:
        return self.keys.scoped("watch", "mastodon", "state")

    @property
    def mastodon_cursors(self) -> str:
        return self.keys.scoped("watch", "mastodon", "cursors")

    @property
    def mastodon_seen(self) -> str:
        return self.keys.scoped("watch", "mastodon", "seen")

    @property
    def mastodon_starting(self) -> str:
        return self.keys.scoped("watch", "mastodon", "starting")

    @property
    def polls(self) -> str:
        return self.keys.scoped("watch", "polls")

    @property
    def reports(self) -> str:
        return self.keys.scoped("watch", "reports")

    def report(self, report_id: str) -> str:
        return self.keys.scoped("watch", "report", report_id)

    @property
    def demo_player(self) -> str:
        return self.keys.scoped("watch", "demo", "player")

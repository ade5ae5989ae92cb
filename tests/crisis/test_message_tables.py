"""Every message table the pages read has each entry in French and in English."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

import channels.alerts.pulse_messages
import channels.messages
import channels.voice.texts
import crisis.i18n
import knowledge_base.cell_pages
import monitoring.messages
import static_site.cell.messages

TABLES: dict[str, Mapping[str, Mapping[str, str]]] = {
    "crisis.i18n": crisis.i18n.MESSAGES,
    "channels.messages": channels.messages.MESSAGES,
    "channels.alerts.pulse_messages": channels.alerts.pulse_messages.MESSAGES,
    "channels.voice.texts": channels.voice.texts.TEXTS,
    "static_site.cell.messages": static_site.cell.messages.MESSAGES,
    "static_site.cell.messages.BUILD_KINDS": static_site.cell.messages.BUILD_KINDS,
    "knowledge_base.cell_pages": knowledge_base.cell_pages.MESSAGES,
    "monitoring.messages": monitoring.messages.MESSAGES,
}


@pytest.mark.parametrize("name", TABLES)
def test_every_entry_is_in_french_and_english(name: str) -> None:
    incomplete = [key for key, entry in TABLES[name].items()
                  if set(entry) != {"fr", "en"} or not all(v.strip() for v in entry.values())]
    assert incomplete == []


def test_a_channel_gets_its_own_wording_else_the_common_one() -> None:
    from crisis.types import ChannelKind
    say = channels.messages.say
    assert "répondez 0" in say("human_hint", "fr", ChannelKind.SMS)
    assert "répondez 0" not in say("human_hint", "fr", ChannelKind.CHAT)
    assert say("callback", "en", ChannelKind.CHAT) == say("callback", "en")

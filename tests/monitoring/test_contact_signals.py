"""Citizens' messages watched like the media: anonymised, then into the intake (end to end
through the web chat), and masking of numbers, e-mails and names."""

from __future__ import annotations

from typing import Any

from crisis.context import Context
from crisis.types import Role
from monitoring.contact_signals import anonymise
from tests.conftest import login
from tests.monitoring.test_situation_page import _chat_contact
from tests.support.polling import until


def test_numbers_e_mails_and_names_are_masked() -> None:
    assert anonymise("je m'appelle Jean Dupont, appelez le 06 12 34 56 78") == \
        "je m'appelle [nom], appelez le [numéro]"
    assert anonymise("écrivez à marie.durand@example.fr ou +33612345678") == \
        "écrivez à [courriel] ou [numéro]"
    assert anonymise("Madame Martin est bloquée au 12 rue Pasteur, 44000 Nantes") == \
        "Madame [nom] est bloquée au 12 rue Pasteur, 44000 Nantes"
    assert anonymise("Plus d'eau depuis hier. Cordialement, Paul Henry") == \
        "Plus d'eau depuis hier. Cordialement, [nom]"
    assert anonymise("Je suis inquiet pour ma mère") == "Je suis inquiet pour ma mère"


async def test_a_chat_message_becomes_an_anonymous_contact_signal(
        client: Any, ctx: Context, aiohttp_client: Any) -> None:
    await login(client, ctx, "chef", Role.CELL)
    url = str(client.make_url("/chat/ws"))
    await _chat_contact(client.session, url,
                        "bonjour je m'appelle Jean Dupont, inondation a nantes, mon 0612345678")

    async def contact_signal() -> dict[str, Any] | None:
        body = await (await client.get("/api/situation")).json()
        found = [s for s in body["watch"]["latest"] if s["source"] == "contact"]
        return found[0] if found else None
    signal = await until(contact_signal)
    assert signal["text"] == "bonjour je m'appelle [nom], inondation a nantes, mon [numéro]"
    assert signal["area"] == "44" and signal["url"] == "contact:chat"
    assert "Dupont" not in str(await (await client.get("/api/situation")).json())

"""The password policy: what a person choosing a password is told, and what still signs in."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
import pytest
from argon2 import PasswordHasher

from crisis.context import Context
from crisis.errors import InvalidInput
from crisis.password_policy import check_new_password, common_passwords, generate_password
from crisis.types import Account, Role, utcnow
from tests.conftest import ADMIN


@pytest.mark.parametrize(("password", "name", "told"), [
    ("short pass", "", "password too short: 10 characters, at least 12"),
    ("x" * 1025, "", "password too long"),
    ("azertyuiop", "", "too short"),
    ("motdepasse123", "", "common or breached passwords"),   # a French favourite, padded
    ("Soleil2026!!", "", "common or breached passwords"),     # case and padding do not help
    ("password1234", "", "common or breached passwords"),     # in the list as it is
    ("qwertyuiop[]", "", "common or breached passwords"),
    ("abcabcabcabc", "", "repeats one short sequence"),
    ("zzzzzzzzzzzz!", "", "repeats one short sequence"),
    ("MyOwnJeanDupontPass", "jean.dupont", "must not contain the account name ('jean')"),
    ("supervisor1 is here", "supervisor1", "must not contain the account name"),
])
def test_a_weak_password_is_refused_with_what_to_do(password: str, name: str, told: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_new_password(password, name)
    assert told in refused.value.message
    if "too long" not in told:
        assert "four or more unrelated words" in refused.value.message


@pytest.mark.parametrize("password", [
    "correct horse battery staple", "tournesol-gare-pluie-velo", "a long password!",
    "Zq8#kLm2!vRt",
])
def test_a_good_password_is_accepted(password: str) -> None:
    check_new_password(password, "jean.dupont")


def test_the_shipped_list_is_loaded_lowercased() -> None:
    known = common_passwords()
    assert len(known) > 19_000
    assert {"123456", "azerty", "motdepasse", "soleil"} <= known
    assert all(p == p.lower() for p in list(known)[:2000])


def test_generated_passwords_pass_the_policy() -> None:
    for _ in range(200):
        check_new_password(generate_password("cell"), "cell")


async def test_accounts_refuse_a_weak_password_at_creation_and_change(ctx: Context) -> None:
    with pytest.raises(InvalidInput, match="too short"):
        await ctx.accounts.create_account("op1", Role.OPERATOR, "eleven char", actor=ADMIN)
    with pytest.raises(InvalidInput, match="account name"):
        await ctx.accounts.create_account("operator7", Role.OPERATOR, "i am operator7 ok",
                                          actor=ADMIN)
    await ctx.accounts.create_account("op1", Role.OPERATOR, "correct horse battery staple",
                                      actor=ADMIN)
    with pytest.raises(InvalidInput, match="common or breached"):
        await ctx.accounts.set_password("op1", "iloveyou12345", actor=ADMIN)


async def test_a_password_set_under_the_older_ten_character_rule_still_signs_in(
        client: Any, ctx: Context) -> None:
    # An account created before the policy: its 10-character hash is in Redis as it was.
    old = Account(name="ancien", role=Role.OPERATOR, created_at=utcnow(),
                  password_hash=await _hash("dix-carac!"))
    await ctx.redis.set(ctx.keys.account("ancien"), msgspec.json.encode(old))
    await ctx.redis.sadd(ctx.keys.accounts, "ancien")
    response = await client.post("/api/session", json={"name": "ancien", "password": "dix-carac!"})
    assert response.status == 200, await response.text()
    assert (await response.json())["name"] == "ancien"


async def _hash(password: str) -> str:
    return await asyncio.to_thread(PasswordHasher().hash, password)


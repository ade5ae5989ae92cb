"""What every CLI command needs: the Redis to talk to, the acting principal, the context."""

from __future__ import annotations

import contextlib
import getpass
from collections.abc import AsyncIterator, Iterator

from crisis.context import Context, open_context
from crisis.errors import NotFound
from crisis.redis_server import EmbeddedRedis
from crisis.settings import Settings
from crisis.types import Principal, Role


def require_centre(settings: Settings) -> None:
    """NotFound, saying which directory was used and how to choose, when it holds no centre.

    Without REDIS_URL a command works on the embedded Redis of its data directory; run from
    another folder it would otherwise start an empty one there and report "no live crisis".
    Only `crisis up` (and `web`, `worker`) create a centre.
    """
    if settings.redis_url or EmbeddedRedis(settings.data_dir).has_data():
        return
    raise NotFound(
        f"no centre in {settings.data_dir.resolve()} (the data directory): start one with "
        "`crisis up`, or choose the centre's directory with CRISIS_DATA_DIR=DIR or "
        "`crisis --data-dir DIR ...`")


@contextlib.contextmanager
def redis_url_for(settings: Settings) -> Iterator[str]:
    """REDIS_URL when set; else the embedded server, started for this command if not running.

    A command run while `crisis up` is up talks to that server; otherwise it starts the
    private server on the same data dir and stops it afterwards (data persists on disk).
    """
    if settings.redis_url:
        yield settings.redis_url
        return
    embedded = EmbeddedRedis(settings.data_dir, settings.redis_fsync)
    if embedded.is_running():
        yield embedded.url
        return
    embedded.start()
    try:
        yield embedded.url
    finally:
        embedded.stop()


@contextlib.asynccontextmanager
async def command_context(settings: Settings, redis_url: str) -> AsyncIterator[Context]:
    ctx = open_context(settings, redis_url)
    try:
        yield ctx
    finally:
        await ctx.close()


async def acting_principal(ctx: Context, as_user: str | None) -> Principal:
    """`--as NAME`: that account's role; otherwise the local administrator at this terminal."""
    if as_user:
        account = await ctx.accounts.get_account(as_user)
        return Principal(account.name, account.role, "cli")
    return Principal(getpass.getuser(), Role.ADMIN, "cli")

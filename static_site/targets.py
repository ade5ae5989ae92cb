"""Publish targets beyond the local directory: rsync destinations (edge servers), in parallel."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterable
from pathlib import Path

import redis.asyncio as aioredis

from crisis.errors import InvalidInput
from crisis.keys import Keys
from static_site.records import targets_key

log = logging.getLogger(__name__)
PUSH_TIMEOUT_S = 300
# host:path, user@host:path, rsync://host/module/path or an absolute local path; no options.
_TARGET = re.compile(r"^(?:/[^\s]*|[\w.@-]+:[^\s]*|rsync://[\w.:-]+/[^\s]*)$")


def check_target(target: str) -> str:
    if target.startswith("-") or not _TARGET.match(target):
        raise InvalidInput(f"{target!r} is not an rsync destination (host:/path, rsync://host/module or /path)")
    return target


async def list_targets(redis: aioredis.Redis, keys: Keys) -> list[str]:
    members = await redis.smembers(targets_key(keys))
    return sorted(m.decode() if isinstance(m, bytes) else str(m) for m in members)


async def add_target(redis: aioredis.Redis, keys: Keys, target: str) -> None:
    await redis.sadd(targets_key(keys), check_target(target))


async def remove_target(redis: aioredis.Redis, keys: Keys, target: str) -> None:
    await redis.srem(targets_key(keys), target)


async def push_site(site_dir: Path, targets: Iterable[str]) -> dict[str, str]:
    """rsync the live site to every target at once; target -> "ok" or the error."""
    names = list(targets)
    results = await asyncio.gather(*(_push(site_dir, t) for t in names))
    return dict(zip(names, results))


async def _push(site_dir: Path, target: str) -> str:
    # --copy-links: shards are symlinks here, real files there. --delay-updates puts every
    # changed file in place at the end, so an edge serves the old or the new site.
    command = ["rsync", "-a", "--copy-links", "--delete-delay", "--delay-updates",
               "--exclude", ".manifest*.json", f"{site_dir.resolve()}/", check_target(target)]
    try:
        process = await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
        _, stderr = await asyncio.wait_for(process.communicate(), PUSH_TIMEOUT_S)
    except (OSError, TimeoutError) as err:
        log.error("site push failed", extra={"target": target, "error": str(err)})
        return f"error: {err}"
    if process.returncode != 0:
        message = stderr.decode(errors="replace").strip().splitlines()[-1:] or ["?"]
        log.error("site push failed", extra={"target": target, "error": message[0]})
        return f"error: rsync exit {process.returncode}: {message[0]}"
    return "ok"

"""`crisis up --demo`'s environment: the watch's Mastodon source pointed at the centre's own
demo instance only when the operator configured no instance (a real one is never overridden)."""

from __future__ import annotations

from crisis.demo import DEMO_MASTODON_PATH, demo_sandbox_env
from crisis.settings import load_settings


def test_the_demo_points_an_unconfigured_mastodon_source_at_its_own_instance(
        env: dict[str, str]) -> None:
    settings = load_settings(env)
    demo = demo_sandbox_env(settings)
    assert demo["MASTODON_API_BASE"] == settings.base_url + DEMO_MASTODON_PATH
    assert demo["MASTODON_EVERY_S"] == "30" and "MASTODON_ACCESS_TOKEN" not in demo
    started = load_settings({**env, **demo})  # what every process of the demo reads
    assert started.mastodon_api_base == settings.base_url + DEMO_MASTODON_PATH
    assert started.mastodon_every_s == 30


def test_the_demo_never_overrides_a_configured_instance(env: dict[str, str]) -> None:
    real = {**env, "MASTODON_API_BASE": "https://mastodon.example.org",
            "MASTODON_ACCESS_TOKEN": "real-token"}
    demo = demo_sandbox_env(load_settings(real))
    assert not [name for name in demo if name.startswith("MASTODON_")]
    assert load_settings({**real, **demo}).mastodon_api_base == "https://mastodon.example.org"
    # An interval the operator chose is kept, even with the demo's instance.
    chosen = demo_sandbox_env(load_settings({**env, "MASTODON_EVERY_S": "120"}))
    assert "MASTODON_API_BASE" in chosen and "MASTODON_EVERY_S" not in chosen

"""Offline tooling of the knowledge base: evaluation, the learning loop's simulation, and the
calibration of the auto-answer's confidence, with the labelled sets they read (`data/`).

Nothing here runs in the centre: no Redis, no crisis. The runtime never imports this package
(an import-linter contract says so); the CLI imports it lazily, for `crisis kb eval` only.
The sets ship with the package, so a refit works from an installed wheel:
`python -m knowledge_base.tooling.calibration`.
"""

"""`python -m crisis` is the `crisis` command."""

from crisis.cli import main

raise SystemExit(main())

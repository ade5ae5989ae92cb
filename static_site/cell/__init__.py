"""The crisis cell's publishing pages at /cell/ (server-rendered, no script needed)."""

"""aprity-diagnose: the diagnosis engine (no Slack, no SQLite)."""

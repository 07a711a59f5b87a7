"""SQLite: sessions, runs and steps, the ledger of owed Slack messages, schema, retention, watch tables,
and the read-only history and stats queries. May import: the shared modules of ``bot`` and ``checks``."""

"""Talking to Salesforce: the host allowlist, the run deadline, connection pools and the HTTP client.

May import: checks.model only."""

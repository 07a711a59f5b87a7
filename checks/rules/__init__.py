"""The diagnosis rules: facts gathered from a run, errors classified, causes ranked, steps and advice.

May import: checks.salesforce, checks.crypto, checks.connections, checks.model."""

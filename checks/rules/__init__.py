"""The diagnosis rules: facts gathered from a run, errors classified, causes ranked, steps and advice; the
family recognisers `explain` uses for failures outside Salesforce's answer (proxy, TLS, key file, wrappers).

May import: checks.salesforce, checks.crypto, checks.connections, checks.model."""

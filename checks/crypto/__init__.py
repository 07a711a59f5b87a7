"""Keys, PEM parsing, certificates and the signed JWT assertion. May import: checks.model only."""

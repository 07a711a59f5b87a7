"""Reading a pasted error: extraction, context, redaction of secrets, and the ranked explanation.

May import: checks.rules, checks.salesforce, checks.model."""

"""Processes and transport: the HTTP door (size, time, signature, shape), WSGI, gunicorn config and worker,
the Socket Mode runner and the shutdown hooks. May import: bot.slack and everything below it."""

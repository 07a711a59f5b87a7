"""aprity-diagnose: the Slack layer and the command line."""

"""Domain services: what the bot does, driven alike from Slack, the terminal and tests."""

"""coachbot: a Slack companion for equity coaches."""

"""Background work: an in-memory APScheduler per process; the database holds what is due."""

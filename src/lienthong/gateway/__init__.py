"""The agency gateway: registers, clerk review, durable outbox, inbox, status replies and sender warnings."""

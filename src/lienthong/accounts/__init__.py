"""People and access shared by the hub and the gateway: users, roles, passwords, sessions, API tokens."""

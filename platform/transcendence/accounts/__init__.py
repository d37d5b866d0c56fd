"""Accounts: users, sessions, 2FA, profiles, friends, blocking, data export and deletion."""

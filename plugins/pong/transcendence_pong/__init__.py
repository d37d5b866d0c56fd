"""The pong module: a server-authoritative Pong engine, rooms, matchmaking and match records."""

"""The stats module: user and game-session dashboards, leaderboard, kept from match results."""

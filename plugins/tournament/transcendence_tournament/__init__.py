"""The tournament module: local and online tournaments, brackets, next-match calls."""

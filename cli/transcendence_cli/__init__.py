"""The `transcendence` command line."""

"""The ai module: a Pong opponent that looks once a second and plays with simulated keys."""

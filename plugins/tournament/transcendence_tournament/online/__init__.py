"""Online tournaments: joining, starting, calling the players, no-shows, results.

Registered users join with an alias; the tournament starts on time (a timer on every node,
re-armed from the database at start-up) or when full. Each ready match becomes a match of
the tournament's game (pong by default; any `transcendence.games.Game`) that waits for its
players (`hold`); they are called live (`tournament.match_ready`), by notification and in
the chat's notices. A player still absent at the deadline loses by forfeit; results come
back through the core's `match_finished`.

Several nodes may act on one tournament: every state change is a conditional update
(`... WHERE status = 'open'`, `'ready'`, ...) or a unique row (one `Game` per bracket game),
so a timer that fires on two nodes, or two results that land at once, act once.
No HTTP here.

Its modules, lowest first (each imports only those before it):

- `timers`: this node's timers and background tasks;
- `presentation`: the online view, its live updates and what players are told;
- `entries`: creating a tournament, taking and giving up seats;
- `results`: storing a game's result once, the bracket's side of a match's result;
- `calls`: starting, calling the matches, no-shows, AI seats, what follows a result.
"""

"""Drawing a game as text: `render()` turns a `pong.state` into the lines of one frame (score
line, field, status line), `render_message()` centres a few lines. Pure functions: no
terminal or protocol code.
"""

from __future__ import annotations

import math
from typing import Any

from transcendence_pong.engine import HEIGHT, PADDLE_INSET, PADDLE_WIDTH, WIDTH
from transcendence_pong.terminal.seat import Game

MIN_COLS, MIN_ROWS = 24, 10


def _centre(text: str, width: int) -> str:
    text = text[:width]
    left = (width - len(text)) // 2
    return (" " * left + text).ljust(width)


def render_message(lines: list[str], cols: int, rows: int) -> list[str]:
    """A few lines in the middle of the screen."""
    top = max(0, (rows - len(lines)) // 2)
    out = [" " * cols] * top + [_centre(line, cols) for line in lines]
    return (out + [" " * cols] * rows)[:rows]


def _notice(state: dict[str, Any], game: Game) -> str:
    if state.get("cancelled"):
        return "Game cancelled: it counts for no one"
    if state.get("phase") == "finished":
        winner = state.get("winner")
        return f"{game.names.get(winner, winner)} wins!" if winner else "Game over"
    paused = state.get("paused")
    if paused and paused.get("seconds_left") is None:
        return "Paused"
    if paused:
        who = "You are" if paused.get("side") == game.side else f"{game.opponent} is"
        return f"{who} disconnected: forfeit in {paused.get('seconds_left', 0):.0f} s"
    if state.get("waiting"):
        return f"Waiting for {game.opponent} to join..."
    if state.get("countdown") is not None:
        return f"Starting in {state['countdown']:.1f} s"
    if state.get("phase") == "serving":
        return "Get ready..."
    return ""


def render(
    state: dict[str, Any],
    game: Game,
    cols: int,
    rows: int,
    *,
    unicode: bool = True,
    flash: str = "",
) -> list[str]:
    """One frame of the game: the score line, the field in a frame, a status line.

    The field keeps the game's 4:3 proportions on cells about twice as tall as wide; with
    half-block characters each cell holds two vertical "pixels".
    """
    if cols < MIN_COLS or rows < MIN_ROWS:
        return render_message(["Terminal too small", f"(need {MIN_COLS}x{MIN_ROWS})"], cols, rows)
    inner_w = min(cols - 2, int((rows - 4) * 8 / 3))
    inner_h = min(rows - 4, max(3, round(inner_w * 3 / 8)))
    pad = " " * ((cols - inner_w - 2) // 2)
    sub_h = inner_h * 2

    def column(x: float) -> int:
        return min(inner_w - 1, max(0, int(x / WIDTH * inner_w)))

    def sub_row(y: float) -> int:
        return min(sub_h - 1, max(0, int(y / HEIGHT * sub_h)))

    pixels = [[False] * inner_w for _ in range(sub_h)]
    paddles = state.get("paddles") or {}
    for side, x in (
        ("left", PADDLE_INSET + PADDLE_WIDTH / 2),
        ("right", WIDTH - PADDLE_INSET - PADDLE_WIDTH / 2),
    ):
        paddle = paddles.get(side) or {}
        y, height = float(paddle.get("y", HEIGHT / 2)), float(paddle.get("height", 0))
        if height <= 0:
            continue
        top = sub_row(y - height / 2)
        bottom = max(top, min(sub_h - 1, math.ceil((y + height / 2) / HEIGHT * sub_h) - 1))
        for r in range(top, bottom + 1):
            pixels[r][column(x)] = True
    ball = state.get("ball") or {}
    if state.get("phase") != "finished" and "x" in ball:
        pixels[sub_row(float(ball["y"]))][column(float(ball["x"]))] = True
    powerup = state.get("powerup") or None
    bonus = (column(float(powerup["x"])), sub_row(float(powerup["y"])) // 2) if powerup else None

    glyphs = {
        (True, True): "█" if unicode else "#",
        (True, False): "▀" if unicode else "'",
        (False, True): "▄" if unicode else ".",
    }
    net, side_bar = ("┊", "│") if unicode else (":", "|")
    middle = inner_w // 2
    field_lines = []
    for r in range(inner_h):
        cells = []
        for c in range(inner_w):
            glyph = glyphs.get((pixels[2 * r][c], pixels[2 * r + 1][c]))
            if glyph is None:
                if bonus == (c, r):
                    glyph = "◆" if unicode else "+"
                elif c == middle and r % 2 == 0:
                    glyph = net
                else:
                    glyph = " "
            cells.append(glyph)
        field_lines.append(pad + side_bar + "".join(cells) + side_bar)

    scores = state.get("scores") or {}
    names = game.names
    you = {side: " (you)" if side == game.side else "" for side in ("left", "right")}
    left = f"{names['left']}{you['left']}  {scores.get('left', 0)}"
    right = f"{scores.get('right', 0)}  {names['right']}{you['right']}"
    half = max(0, (cols - 3) // 2)
    header = left[:half].rjust(half) + " : " + right[:half].ljust(half)
    h, corners = ("─", "┌┐└┘") if unicode else ("-", "++++")
    keys = "W/Up up  S/Down down  q leave"
    power = (paddles.get(game.side) or {}).get("power")
    if power:
        keys += f"  Space: {power}"
    status = flash or _notice(state, game) or keys
    lines = [
        header.ljust(cols)[:cols],
        (pad + corners[0] + h * inner_w + corners[1]).ljust(cols),
        *(line.ljust(cols) for line in field_lines),
        (pad + corners[2] + h * inner_w + corners[3]).ljust(cols),
        _centre(status, cols),
    ]
    return (lines + [" " * cols] * rows)[:rows]

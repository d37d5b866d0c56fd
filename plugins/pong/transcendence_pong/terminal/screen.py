"""The terminal itself: `Terminal` (raw mode, alternate screen, painting lines, reading keys)
and `Screen` (what it shows, redrawn at most `FPS` times a second); `Display` is what the
glue needs of a screen. No protocol code.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sys
import time
from collections.abc import Callable
from typing import Any, Protocol, TextIO

from transcendence_pong.terminal.drawing import render, render_message
from transcendence_pong.terminal.keys import KeyParser
from transcendence_pong.terminal.seat import Game

FPS = 30


class Terminal:
    """The controlling terminal in raw mode on the alternate screen, restored on exit."""

    def __init__(self, stdin: TextIO | None = None, stdout: TextIO | None = None) -> None:
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.fd = self.stdin.fileno()
        self._saved: list[Any] | None = None
        self._painted: list[str] = []
        encoding = (getattr(self.stdout, "encoding", None) or "").lower().replace("-", "")
        self.unicode = encoding == "utf8"

    def __enter__(self) -> Terminal:
        import termios  # Unix only: the terminal client runs where it exists

        self._saved = termios.tcgetattr(self.fd)
        mode = termios.tcgetattr(self.fd)
        mode[0] &= ~(termios.IXON | termios.ICRNL | termios.BRKINT | termios.ISTRIP)
        mode[3] &= ~(termios.ECHO | termios.ICANON | termios.ISIG | termios.IEXTEN)
        mode[6][termios.VMIN] = 1
        mode[6][termios.VTIME] = 0
        termios.tcsetattr(self.fd, termios.TCSANOW, mode)
        self.write("\x1b[?1049h\x1b[?25l\x1b[2J\x1b[H")  # alternate screen, no cursor
        return self

    def __exit__(self, *exc_info: object) -> None:
        import termios  # Unix only: the terminal client runs where it exists

        with contextlib.suppress(OSError):
            self.write("\x1b[0m\x1b[?25h\x1b[?1049l")
        if self._saved is not None:
            with contextlib.suppress(termios.error):
                termios.tcsetattr(self.fd, termios.TCSADRAIN, self._saved)

    def size(self) -> tuple[int, int]:
        try:
            size = os.get_terminal_size(self.stdout.fileno())
            if size.columns > 0 and size.lines > 0:
                return size.columns, size.lines
        except OSError:
            pass
        fallback = shutil.get_terminal_size((80, 24))  # LINES / COLUMNS
        return fallback.columns, fallback.lines

    def write(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()

    def paint(self, lines: list[str]) -> None:
        """Show these lines; only those that changed since the last call are rewritten
        (a rally moves a few cells: this keeps a slow link, e.g. SSH, at 30 frames/s)."""
        if len(lines) != len(self._painted):
            self._painted = []
            out = ["\x1b[H\x1b[2J"]
        else:
            out = []
        for row, line in enumerate(lines):
            if row >= len(self._painted) or self._painted[row] != line:
                # Trailing blanks are cleared, not written: the last column is never
                # reached, so the terminal has no line wrap to decide on.
                out.append(f"\x1b[{row + 1};1H{line.rstrip()}\x1b[K")
        self._painted = list(lines)
        if out:
            self.write("".join(out))

    def read_keys(self, on_key: Callable[[str], None]) -> Callable[[], None]:
        """Call `on_key` for each key typed; returns the function that stops reading."""
        loop = asyncio.get_running_loop()
        parser = KeyParser()

        def readable() -> None:
            try:
                data = os.read(self.fd, 1024)
            except OSError:
                data = b""
            if not data:  # the terminal went away
                loop.remove_reader(self.fd)
                on_key("interrupt")
                return
            for key in parser.feed(data):
                on_key(key)

        loop.add_reader(self.fd, readable)

        def stop() -> None:
            loop.remove_reader(self.fd)

        return stop


class Display(Protocol):
    def status(self, text: str) -> None: ...
    def show(self, game: Game, state: dict[str, Any]) -> None: ...
    def flash(self, text: str) -> None: ...


class Screen:
    """What the terminal shows, redrawn at most `FPS` times a second when it changed."""

    def __init__(self, terminal: Terminal, *, heading: str = "") -> None:
        self.terminal = terminal
        self.heading = heading
        self._message = ""
        self._game: Game | None = None
        self._state: dict[str, Any] | None = None
        self._flash = ""
        self._flash_until = 0.0
        self._dirty = asyncio.Event()
        self._dirty.set()

    def status(self, text: str) -> None:
        self._message = text
        self._dirty.set()

    def show(self, game: Game, state: dict[str, Any]) -> None:
        self._game, self._state = game, state
        self._dirty.set()

    def flash(self, text: str) -> None:
        self._flash, self._flash_until = text, time.monotonic() + 3
        self._dirty.set()

    def redraw(self) -> None:
        self._dirty.set()

    def frame(self) -> list[str]:
        cols, rows = self.terminal.size()
        flash = self._flash if time.monotonic() < self._flash_until else ""
        if self._game is not None and self._state is not None:
            return render(
                self._state, self._game, cols, rows, unicode=self.terminal.unicode, flash=flash
            )
        lines = ["TRANSCENDENCE PONG", "", self.heading, "", self._message]
        if flash:
            lines += ["", flash]
        return render_message(lines, cols, rows)

    async def run(self) -> None:
        while True:
            await self._dirty.wait()
            self._dirty.clear()
            self.terminal.paint(self.frame())
            await asyncio.sleep(1 / FPS)  # pace the redraws

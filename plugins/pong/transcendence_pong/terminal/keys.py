"""The keys of `transcendence play`: `KeyParser` turns the bytes of a raw terminal into keys,
`KeyHolder` turns presses into press/release pairs (terminals report presses only). No
protocol or terminal code: both are plain state machines.
"""

from __future__ import annotations

DEFAULT_HOLD_MS = 120


class KeyParser:
    """Bytes typed in a raw terminal → keys: up, down, power, quit, interrupt."""

    BINDINGS = {
        b"w": "up",
        b"W": "up",
        b"s": "down",
        b"S": "down",
        b" ": "power",
        b"q": "quit",
        b"Q": "quit",
        b"\x03": "interrupt",  # Ctrl+C (the terminal's signals are off in raw mode)
        b"\x04": "interrupt",  # Ctrl+D
    }
    ARROWS = {"A": "up", "B": "down"}

    def __init__(self) -> None:
        self._pending = b""

    def feed(self, data: bytes) -> list[str]:
        buf = self._pending + data
        keys: list[str] = []
        i = 0
        while i < len(buf):
            if buf[i] != 0x1B:
                key = self.BINDINGS.get(buf[i : i + 1])
                if key:
                    keys.append(key)
                i += 1
                continue
            # An escape sequence: ESC [ params final (CSI) or ESC O final (SS3).
            if i + 1 >= len(buf):
                break  # the rest is still on its way
            intro = buf[i + 1]
            if intro == ord("O"):
                if i + 2 >= len(buf):
                    break
                found = self.ARROWS.get(chr(buf[i + 2]))
                if found:
                    keys.append(found)
                i += 3
            elif intro == ord("["):
                j = i + 2
                while j < len(buf) and 0x20 <= buf[j] <= 0x3F:
                    j += 1
                if j >= len(buf):
                    break
                found = self.ARROWS.get(chr(buf[j]))
                if found:
                    keys.append(found)
                i = j + 1
            else:
                i += 1  # a lone Escape key: ignored
        self._pending = buf[i:] if len(buf) - i < 32 else b""
        return keys


class KeyHolder:
    """Terminals report presses, never releases. A press of up or down is sent as pressed
    and held for `hold` seconds; another press of the same key (the terminal's autorepeat
    while it is held down) extends the hold, so the release goes out `hold` seconds after
    the last repeat. Pressing the other direction releases the first one at once."""

    def __init__(self, hold: float) -> None:
        self.hold = hold
        self.until: dict[str, float] = {}

    def press(self, key: str, now: float) -> list[tuple[str, bool]]:
        events: list[tuple[str, bool]] = []
        other = "down" if key == "up" else "up"
        if self.until.pop(other, None) is not None:
            events.append((other, False))
        if key not in self.until:
            events.append((key, True))
        self.until[key] = now + self.hold
        return events

    def expire(self, now: float) -> list[tuple[str, bool]]:
        done = [key for key, until in self.until.items() if until <= now]
        for key in done:
            del self.until[key]
        return [(key, False) for key in done]

    def release_all(self) -> list[tuple[str, bool]]:
        done = [(key, False) for key in self.until]
        self.until.clear()
        return done

    def next_deadline(self) -> float | None:
        return min(self.until.values(), default=None)

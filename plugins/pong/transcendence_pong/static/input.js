// Keys and touch buttons → press/release events for the game. Only changes are reported
// (the browser's key autorepeat is ignored), every held key is released when the window
// loses focus, and typing in a form field never moves a paddle.

/** Which (side, key) a keyboard key drives: local games use both sides of one keyboard. */
export function keyMap(mode) {
  if (mode === "local") {
    return {
      KeyW: ["left", "up"],
      KeyS: ["left", "down"],
      KeyD: ["left", "power"],
      ArrowUp: ["right", "up"],
      ArrowDown: ["right", "down"],
      ArrowLeft: ["right", "power"],
    };
  }
  return {
    KeyW: [null, "up"],
    ArrowUp: [null, "up"],
    KeyS: [null, "down"],
    ArrowDown: [null, "down"],
    Space: [null, "power"],
  };
}

function typing(target) {
  return target?.closest?.("input, textarea, select, [contenteditable]");
}

/**
 * Listen to the keyboard; onChange(side, key, pressed) on each change. Returns a function
 * that stops listening (and releases what is held).
 */
export function listenKeys(mode, onChange, target = window) {
  const map = keyMap(mode);
  const held = new Map(); // code → [side, key]
  const down = (event) => {
    const found = map[event.code];
    if (!found || typing(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
    event.preventDefault(); // no page scrolling with the arrows or the space bar
    if (event.repeat || held.has(event.code)) return;
    held.set(event.code, found);
    onChange(found[0], found[1], true);
  };
  const up = (event) => {
    const found = held.get(event.code);
    if (!found) return;
    event.preventDefault();
    held.delete(event.code);
    onChange(found[0], found[1], false);
  };
  const releaseAll = () => {
    for (const [code, [side, key]] of [...held]) {
      held.delete(code);
      onChange(side, key, false);
    }
  };
  target.addEventListener("keydown", down);
  target.addEventListener("keyup", up);
  window.addEventListener("blur", releaseAll);
  return () => {
    target.removeEventListener("keydown", down);
    target.removeEventListener("keyup", up);
    window.removeEventListener("blur", releaseAll);
    releaseAll();
  };
}

/**
 * An on-screen button that holds a key while pressed (touch, pen or mouse): press on
 * pointerdown, release on pointerup/cancel/leave. Keyboard users have the real keys.
 */
export function holdButton(button, onChange) {
  let pressed = false;
  const press = (event) => {
    event.preventDefault();
    if (pressed) return;
    pressed = true;
    button.classList.add("active");
    if (button.setPointerCapture && event.pointerId !== undefined) {
      try {
        button.setPointerCapture(event.pointerId);
      } catch {
        // the pointer is already gone
      }
    }
    onChange(true);
  };
  const release = () => {
    if (!pressed) return;
    pressed = false;
    button.classList.remove("active");
    onChange(false);
  };
  button.addEventListener("pointerdown", press);
  for (const type of ["pointerup", "pointercancel", "lostpointercapture"]) button.addEventListener(type, release);
  button.addEventListener("contextmenu", (event) => event.preventDefault());
  return release;
}

// How a player a module stores by name reads in the reader's language.
//
// Pong stores the AI as "AI (hard)" and a local game's second player as "Player 2": English
// words. Pong registers a function that words them (from a seat's `kind`, or those names);
// every view shows a player through playerName(ref), ref being {user_id, name, kind...}.

const namers = [];

/** fn(ref) → the text for `ref`, or null when it is not one of the module's; returns the undo. */
export function addPlayerName(fn) {
  namers.push(fn);
  return () => {
    const index = namers.indexOf(fn);
    if (index >= 0) namers.splice(index, 1);
  };
}

export function playerName(ref) {
  if (!ref) return "";
  for (const fn of namers) {
    const text = fn(ref);
    if (text) return text;
  }
  return ref.name ?? ref.display_name ?? "";
}

// Drawing a tournament's view (GET /api/tournament/<id>): the bracket as rounds in columns
// (single elimination) or the rounds of a round robin, and the standings table.
// Every name is user text: it only ever goes through h() as text.

import { h } from "@transcendence/shell";

/** Games in the order they are played: by round, then by their order in the round. */
export function orderedGames(view) {
  return [...(view.games || [])].sort((a, b) => a.round - b.round || gameOrder(a) - gameOrder(b));
}

function gameOrder(game) {
  const found = /m(\d+)$/.exec(String(game.id || game.key || ""));
  return found ? Number(found[1]) : 0;
}

/** game id → "Match N" number, counting only games that are played (not byes). */
export function matchNumbers(view) {
  const numbers = new Map();
  let n = 0;
  for (const game of orderedGames(view)) {
    if (!game.bye) numbers.set(game.id, ++n);
  }
  return numbers;
}

/** The online match (status, deadline, forfeit) of a bracket game, by its key. */
export function matchesByKey(view) {
  return new Map((view.matches || []).map((m) => [m.key, m]));
}

/** The game being played now (started, no result yet), if any. */
export function playingGame(view) {
  const online = matchesByKey(view);
  return orderedGames(view).find((g) => {
    if (g.winner || g.bye) return false;
    const match = online.get(g.id);
    return match ? match.status === "playing" || match.status === "ready" : Boolean(g.match_id);
  });
}

export function roundName(shell, view, round) {
  if (view.format === "single") {
    const left = view.rounds - round;
    if (left === 0) return shell.t("tournament.final");
    if (left === 1) return shell.t("tournament.semi_finals");
    if (left === 2) return shell.t("tournament.quarter_finals");
  }
  return shell.t("tournament.round", { n: round });
}

/** The bracket: one column (a <section>) per round, one card per game. */
export function bracketElement(shell, view, { playUrl } = {}) {
  const numbers = matchNumbers(view);
  const online = matchesByKey(view);
  const nextId = view.next ? view.next.id : null;
  const rounds = new Map();
  for (const game of orderedGames(view)) {
    if (!rounds.has(game.round)) rounds.set(game.round, []);
    rounds.get(game.round).push(game);
  }
  const columns = [...rounds.entries()].map(([round, games]) => {
    const titleId = `tournament-round-${round}`;
    return h(
      "section",
      { class: "tournament-round", "aria-labelledby": titleId, dataset: { round: String(round) } },
      h("h3", { class: "tournament-round-title h6", id: titleId, text: roundName(shell, view, round) }),
      h(
        "ol",
        { class: "tournament-games list-unstyled mb-0" },
        games.map((game) => gameCard(shell, game, { number: numbers.get(game.id), match: online.get(game.id), isNext: game.id === nextId, playUrl })),
      ),
    );
  });
  return h(
    "div",
    { class: ["tournament-bracket", `tournament-bracket-${view.format}`], id: "tournament-bracket", dataset: { format: view.format } },
    columns,
  );
}

function gameState(game, match, isNext) {
  if (game.bye) return "bye";
  if (game.winner) return "done";
  if (match) return match.status; // pending | ready | playing
  if (game.match_id) return "playing";
  if (isNext) return "next";
  return game.players.every(Boolean) ? "waiting" : "pending";
}

function gameCard(shell, game, { number, match, isNext, playUrl }) {
  const t = (key, params) => shell.t(key, params);
  const state = gameState(game, match, isNext);
  const [left, right] = game.players;
  const score = game.score || null;
  const slot = (alias, index) => {
    const won = game.winner && alias === game.winner;
    const lost = game.winner && alias && alias !== game.winner;
    return h(
      "div",
      { class: ["tournament-slot", won ? "is-winner" : "", lost ? "is-loser" : "", alias ? "" : "is-unknown"] },
      h("span", { class: "tournament-alias", text: alias || t(game.bye && index === 1 ? "tournament.bye" : "tournament.tbd") }),
      score ? h("span", { class: "tournament-points", text: String(score[index]) }) : null,
      won ? h("span", { class: "visually-hidden", text: ` ${t("tournament.won")}` }) : null,
    );
  };
  const notes = [];
  if (state === "bye") notes.push(t("tournament.bye_note", { name: left || "" }));
  if (state === "next") notes.push(t("tournament.next_label"));
  if (state === "ready") notes.push(t("tournament.called"));
  if (state === "playing") notes.push(t("tournament.playing"));
  if (match?.forfeit) notes.push(t("tournament.forfeit"));
  const link =
    game.match_id && !game.winner && playUrl
      ? h("a", {
          class: "btn btn-sm btn-outline-info tournament-watch",
          href: playUrl(game.match_id),
          text: t("tournament.open_match"),
          "aria-label": t("tournament.open_match_label", { left: left || "", right: right || "" }),
        })
      : null;
  const label = game.bye
    ? t("tournament.bye_note", { name: left || "" })
    : t("tournament.game_label", { n: number || "", left: left || t("tournament.tbd"), right: right || t("tournament.tbd") });
  return h(
    "li",
    { class: ["tournament-game", `is-${state}`], dataset: { game: game.id, state }, "aria-label": label },
    h("div", { class: "tournament-game-head small" }, number ? h("span", { class: "tournament-game-number", text: t("tournament.match_n", { n: number }) }) : null, notes.length ? h("span", { class: "tournament-game-note", text: notes.join(" · ") }) : null),
    slot(left, 0),
    slot(right, 1),
    link,
  );
}

/** Points and wins per player, from the games played so far. */
export function tally(view) {
  const rows = new Map();
  for (const player of view.players || []) {
    rows.set(player.alias, { alias: player.alias, place: player.place, played: 0, wins: 0, losses: 0, for: 0, against: 0 });
  }
  for (const game of view.games || []) {
    if (game.bye || !game.winner) continue;
    game.players.forEach((alias, index) => {
      const row = rows.get(alias);
      if (!row) return;
      row.played += 1;
      if (alias === game.winner) row.wins += 1;
      else row.losses += 1;
      if (game.score) {
        row.for += game.score[index];
        row.against += game.score[1 - index];
      }
    });
  }
  return rows;
}

/**
 * The standings: the server's order and places when it gives them (finished, or a round
 * robin's live table), else (a round robin still being played) the table so far.
 */
export function standingsElement(shell, view) {
  const t = (key, params) => shell.t(key, params);
  const rows = tally(view);
  let ordered;
  let provisional = false;
  if (view.standings?.length) {
    ordered = view.standings.map((s, i) => ({ ...(rows.get(s.alias) || {}), ...s, place: s.place || i + 1 }));
  } else if (view.format === "round_robin" && (view.games || []).length) {
    provisional = true;
    ordered = [...rows.values()].sort((a, b) => b.wins - a.wins || b.for - b.against - (a.for - a.against) || b.for - a.for);
    for (const [i, row] of ordered.entries()) row.place = i + 1;
  } else {
    return null;
  }
  const th = (key) => h("th", { scope: "col", text: t(key) });
  return h(
    "section",
    { class: "card tournament-standings mb-4", "aria-labelledby": "tournament-standings-title" },
    h(
      "div",
      { class: "card-header" },
      h("h2", { class: "h6 mb-0", id: "tournament-standings-title", text: t(provisional ? "tournament.table_so_far" : "tournament.standings") }),
    ),
    h(
      "div",
      { class: "table-responsive" },
      h(
        "table",
        { class: "table table-sm mb-0 align-middle", id: "tournament-standings" },
        h("thead", {}, h("tr", {}, th("tournament.col_place"), th("tournament.col_player"), th("tournament.col_played"), th("tournament.col_wins"), th("tournament.col_losses"), th("tournament.col_points"))),
        h(
          "tbody",
          {},
          ordered.map((row) =>
            h(
              "tr",
              { class: row.place === 1 && !provisional ? "tournament-champion-row" : "", dataset: { alias: row.alias || "" } },
              h("td", { text: String(row.place ?? "") }),
              h("th", { scope: "row", text: row.alias || "" }),
              h("td", { text: String(row.played ?? 0) }),
              h("td", { text: String(row.wins ?? 0) }),
              h("td", { text: String(row.losses ?? 0) }),
              h("td", { text: `${row.for ?? 0}–${row.against ?? 0}` }),
            ),
          ),
        ),
      ),
    ),
  );
}

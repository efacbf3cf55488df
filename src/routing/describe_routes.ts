/**
 * The router's start-up lines: one per backend and one per route, none wider than a terminal. A
 * backend's own description (a Bedrock credential warning, a model mapping) is wrapped onto indented
 * lines, since every word of it may matter; a route's target list is elided instead ("…, +3 more"),
 * since the routes are in the configuration file for whoever wants them whole.
 *
 * @module
 */
import type { RouteConfig, RouteTarget } from "../config.ts";

/** The widest start-up line: the width of a terminal beside an editor. */
export const LINE_WIDTH = 100;

const INDENT = "    ";

/** `NAME` or `NAME/MODEL`, as the configuration file and the log line write a target. */
export function targetLabel(t: RouteTarget): string {
  return t.model === undefined ? t.backend : `${t.backend}/${t.model}`;
}

// `text` cut to `width` characters, its middle replaced by "…".
function elide(text: string, width: number): string {
  if (text.length <= width) return text;
  if (width <= 1) return "…";
  const head = Math.ceil((width - 1) / 2);
  return `${text.slice(0, head)}…${text.slice(text.length - (width - 1 - head))}`;
}

// Lines of at most `width` characters, broken at spaces where there are any, continued with an indent.
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let rest = text;
  let prefix = "";
  while (prefix.length + rest.length > width) {
    const room = width - prefix.length;
    const space = rest.lastIndexOf(" ", room);
    const cut = space > room / 2 ? space : room;
    lines.push(prefix + rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
    prefix = INDENT;
  }
  if (rest !== "" || lines.length === 0) lines.push(prefix + rest);
  return lines;
}

// The targets that fit in `room` characters, the others counted: "a, b/m, …, +2 more".
function targets(to: readonly RouteTarget[], room: number): string {
  const labels = to.map(targetLabel);
  const all = labels.join(", ");
  if (all.length <= room) return all;
  for (let keep = labels.length - 1; keep >= 1; keep--) {
    const text = `${labels.slice(0, keep).join(", ")}, …, +${labels.length - keep} more`;
    if (text.length <= room) return text;
  }
  const more = labels.length > 1 ? `, …, +${labels.length - 1} more` : "";
  return elide(labels[0]!, Math.max(room - more.length, 8)) + more;
}

function routeLine(route: RouteConfig, width: number): string {
  const when = Object.entries(route.match).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(" ") ||
    "every request";
  // The name stays readable; the targets get what the conditions leave, at least a third of the line,
  // and the conditions then whatever the targets did not use.
  const part = Math.min(40, Math.floor(width / 3));
  const prefix = `route ${elide(route.name, part)}: `;
  const arrow = " -> ";
  const to = targets(route.to, Math.max(part, width - prefix.length - arrow.length - when.length));
  return elide(
    `${prefix}${elide(when, width - prefix.length - arrow.length - to.length)}${arrow}${to}`,
    width,
  );
}

/**
 * The router's start-up lines, none wider than `width`: `backend NAME: KIND, DESCRIPTION` (wrapped), then
 * `route NAME: CONDITIONS -> TARGETS` (elided).
 *
 * @example
 * ```ts
 * const text = describeRoutes(
 *   [{ name: "local", kind: "openai_compatible", description: "localhost:11434 (ollama), model qwen3-coder" }],
 *   [{ name: "main", match: {}, to: [{ backend: "local" }] }],
 * );
 * console.log(text);
 * // backend local: openai_compatible, localhost:11434 (ollama), model qwen3-coder
 * // route main: every request -> local
 * ```
 */
export function describeRoutes(
  backends: readonly { name: string; kind: string; description: string }[],
  routes: readonly RouteConfig[],
  width: number = LINE_WIDTH,
): string {
  const lines: string[] = [];
  for (const b of backends) {
    for (const line of `backend ${b.name}: ${b.kind}, ${b.description}`.split("\n")) {
      lines.push(...wrap(line, width));
    }
  }
  for (const route of routes) lines.push(routeLine(route, width));
  return lines.join("\n");
}

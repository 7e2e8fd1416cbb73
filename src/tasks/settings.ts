/**
 * How each Open WebUI task is answered: `shortcut` (instantly, without the NPU), `model` (its
 * whole prompt run on the model, its reply normalised) or `continue` (asked as the next turn of
 * the chat the KV cache holds, then taken back out of the cache; a shortcut when that chat is not
 * the cached one). Defaults: title, tags and queries are shortcut (the queries task runs before
 * the answer and would delay its first token; title and tags run after every answer and would
 * delay the next one); follow_ups and autocomplete continue (a shortcut could only answer them
 * with nothing, and a full prefill costs as much as the chat itself).
 *
 * The setting string is a comma-separated list of `kind=mode`, e.g. `title=model,tags=shortcut`;
 * spaces are ignored, case and `-`/`_` in kinds do not matter (`Follow-Ups`), `all=…` sets every
 * kind, later entries win, unspecified kinds keep their default, and an empty string means all
 * defaults.
 *
 * Pure: imports only src/tasks/*; no Deno.* calls, no clock.
 */
import { TASK_KINDS, type TaskKind } from "./detect.ts";

export type TaskMode = "shortcut" | "model" | "continue";

export const TASK_MODES: readonly TaskMode[] = ["shortcut", "model", "continue"];

export const DEFAULT_TASK_MODES: Readonly<Record<TaskKind, TaskMode>> = Object.freeze({
  title: "shortcut",
  tags: "shortcut",
  follow_ups: "continue",
  queries: "shortcut",
  autocomplete: "continue",
});

function toKind(name: string): TaskKind | "all" | undefined {
  const norm = name.toLowerCase().replace(/-/g, "_");
  if (norm === "all") return "all";
  if (norm === "followups") return "follow_ups";
  return TASK_KINDS.find((k) => k === norm);
}

/**
 * The mode of every kind from a setting like `"title=model,tags=shortcut"`. Throws an Error
 * naming the bad entry and the accepted values for a malformed entry, an unknown kind or an
 * unknown mode.
 */
export function parseTaskModes(text: string): Record<TaskKind, TaskMode> {
  const modes: Record<TaskKind, TaskMode> = { ...DEFAULT_TASK_MODES };
  for (const raw of text.split(",")) {
    const entry = raw.trim();
    if (!entry) continue;
    const eq = entry.indexOf("=");
    if (eq < 0) {
      throw new Error(
        `task mode entry "${entry}" has no "=": expected kind=mode, e.g. "title=model"`,
      );
    }
    const name = entry.slice(0, eq).trim();
    const value = entry.slice(eq + 1).trim().toLowerCase();
    const kind = toKind(name);
    if (!kind) {
      throw new Error(
        `unknown task kind "${name}" in "${entry}": expected one of ${
          [...TASK_KINDS, "all"].join(", ")
        }`,
      );
    }
    const mode = TASK_MODES.find((m) => m === value);
    if (!mode) {
      throw new Error(
        `unknown task mode "${value}" in "${entry}": expected ${
          TASK_MODES.slice(0, -1).join(", ")
        } or ${TASK_MODES.at(-1)}`,
      );
    }
    if (kind === "all") { for (const k of TASK_KINDS) modes[k] = mode; }
    else modes[kind] = mode;
  }
  return modes;
}

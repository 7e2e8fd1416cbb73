/**
 * Tests for src/tasks/settings.ts: the default task modes and the `kind=mode` setting string
 * (overrides, `all`, spacing and case, errors that name the bad entry).
 */
import assert from "node:assert/strict";
import type { TaskKind } from "../../src/tasks/detect.ts";
import { DEFAULT_TASK_MODES, parseTaskModes, type TaskMode } from "../../src/tasks/settings.ts";

Deno.test("DEFAULT_TASK_MODES: shortcut for title, tags, queries; continue for the rest", () => {
  assert.deepEqual(DEFAULT_TASK_MODES, {
    title: "shortcut",
    tags: "shortcut",
    follow_ups: "continue",
    queries: "shortcut",
    autocomplete: "continue",
  });
  assert.ok(Object.isFrozen(DEFAULT_TASK_MODES));
});

Deno.test("parseTaskModes() overrides the defaults it names", async (t) => {
  const rows: [string, Partial<Record<TaskKind, TaskMode>>][] = [
    ["", {}],
    ["  ", {}],
    ["title=model,tags=shortcut", { title: "model" }],
    ["follow_ups=shortcut", { follow_ups: "shortcut" }],
    ["follow_ups=model,autocomplete=continue", { follow_ups: "model" }],
    [" queries = model , autocomplete=shortcut ,", { queries: "model", autocomplete: "shortcut" }],
    ["Follow-Ups=SHORTCUT", { follow_ups: "shortcut" }],
    ["followups=shortcut", { follow_ups: "shortcut" }],
    [
      "all=model",
      {
        title: "model",
        tags: "model",
        queries: "model",
        follow_ups: "model",
        autocomplete: "model",
      },
    ],
    [
      "all=shortcut,autocomplete=model",
      { follow_ups: "shortcut", autocomplete: "model" },
    ],
    ["title=model,title=shortcut", {}],
  ];
  for (const [text, changes] of rows) {
    await t.step(JSON.stringify(text), () => {
      assert.deepEqual(parseTaskModes(text), { ...DEFAULT_TASK_MODES, ...changes });
    });
  }
});

Deno.test("parseTaskModes() returns a fresh object", () => {
  const modes = parseTaskModes("");
  modes.title = "model";
  assert.equal(DEFAULT_TASK_MODES.title, "shortcut");
  assert.equal(parseTaskModes("").title, "shortcut");
});

Deno.test("parseTaskModes() throws a clear Error for bad entries", async (t) => {
  const rows: [string, RegExp][] = [
    ["titles=model", /unknown task kind "titles" in "titles=model".*title, tags, follow_ups/],
    [
      "title=fast",
      /unknown task mode "fast" in "title=fast": expected shortcut, model or continue/,
    ],
    ["title", /task mode entry "title" has no "="/],
    ["=model", /unknown task kind ""/],
    ["title=", /unknown task mode ""/],
    ["title=model;tags=model", /unknown task mode "model;tags=model"/],
  ];
  for (const [text, message] of rows) {
    await t.step(JSON.stringify(text), () => {
      assert.throws(() => parseTaskModes(text), (e: unknown) => {
        assert.ok(e instanceof Error);
        assert.match(e.message, message);
        return true;
      });
    });
  }
});

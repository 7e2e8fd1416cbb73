import assert from "node:assert/strict";
import { settingsMarkdown } from "../src/config.ts";
import { README, TABLE } from "./support/readme_settings.ts";

/** Cells trimmed and separator rows unified, so `deno fmt`'s column padding does not matter. */
function normaliseTable(table: string): string[] {
  return table.trim().split("\n").map((line) =>
    line.split("|").map((cell) => /^\s*-+\s*$/.test(cell) ? "---" : cell.trim()).join("|")
  );
}

Deno.test("README's configuration table is the one generated from the settings table", async () => {
  const readme = await Deno.readTextFile(README);
  const m = readme.match(TABLE);
  assert.ok(m, "README has the settings markers");
  const table = m[0].split("\n").slice(1, -1).join("\n");
  assert.deepEqual(normaliseTable(table), normaliseTable(settingsMarkdown()), "run deno task docs");
});

Deno.test("README names the two newcomer commands", async () => {
  const readme = await Deno.readTextFile(README);
  assert.match(readme, /deno task demo/);
  assert.match(readme, /deno task test/);
});

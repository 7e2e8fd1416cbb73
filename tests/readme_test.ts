import assert from "node:assert/strict";
import { settingsMarkdown } from "../src/config.ts";

/** Cells trimmed and separator rows unified, so `deno fmt`'s column padding does not matter. */
function normaliseTable(table: string): string[] {
  return table.trim().split("\n").map((line) =>
    line.split("|").map((cell) => /^\s*-+\s*$/.test(cell) ? "---" : cell.trim()).join("|")
  );
}

Deno.test("README's configuration table is the one generated from the settings table", async () => {
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  const m = readme.match(/<!-- settings:begin -->\n([\s\S]*?)\n<!-- settings:end -->/);
  assert.ok(m, "README has the settings markers");
  assert.deepEqual(normaliseTable(m[1]), normaliseTable(settingsMarkdown()));
});

Deno.test("README names the two newcomer commands", async () => {
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  assert.match(readme, /deno task demo/);
  assert.match(readme, /deno task test/);
});

import assert from "node:assert/strict";
import { settingsMarkdown } from "../src/config.ts";
import { README, TABLE } from "./support/readme_settings.ts";
import { CORPUS_MAX_MESSAGES, corpusSize, hasOllamaEmbed } from "./support/bad_inputs.ts";
import { fakeApp } from "./support/fake_service.ts";

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

Deno.test("README quotes the bad-input corpus size that `deno task test` prints", async () => {
  const readme = await Deno.readTextFile(README);
  const { app } = fakeApp();
  const size = corpusSize({
    ollamaEmbed: await hasOllamaEmbed((path, init) => app.request(path, init)),
    maxMessages: CORPUS_MAX_MESSAGES,
  });
  const quoted = readme.match(/a corpus of ([\d,]+) malformed or odd requests \(([\d,]+) refused/);
  assert.ok(quoted, "README has the corpus line");
  const want = [size.rejected + size.accepted, size.rejected].map((n) => n.toLocaleString("en-US"));
  assert.deepEqual([quoted[1], quoted[2]], want, "update the corpus line in README.md");
});

Deno.test("README and tests/mock/README.md cite only paths that are in the repository", async () => {
  for (const file of [README, new URL("../tests/mock/README.md", import.meta.url)]) {
    const text = await Deno.readTextFile(file);
    assert.doesNotMatch(text, /\/work\//, `${file}: a machine-specific path`);
    const cited = text.match(/(?<=`)(?:src|tests|deploy|notes|\.ci)\/[\w./-]*(?=`)/g) ?? [];
    for (const path of new Set(cited)) {
      assert.ok(
        await Deno.stat(new URL(`../${path}`, import.meta.url)).then(() => true, () => false),
        `${file} cites ${path}, which is not in the repository`,
      );
    }
  }
});

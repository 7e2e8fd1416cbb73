/** Tests for src/rag/site_chrome.ts: lines one site repeats on its pages. */
import assert from "node:assert/strict";
import type { RagSource } from "../../src/rag/detect.ts";
import { siteRepeats } from "../../src/rag/site_chrome.ts";
import { sourceUnits } from "../../src/rag/units.ts";

const page = (id: string, name: string | null, lines: string[]): RagSource => ({
  id,
  name,
  text: lines.join("\n"),
});

const DISCLAIMER = "Links on this page may earn us a commission, which never affects our verdict.";

Deno.test("siteRepeats() finds the lines two pages of one site share", async (t) => {
  const rows: [string, RagSource[], string[][]][] = [
    ["two pages of one site (www. or not)", [
      page("1", "https://www.shop.example/a", [DISCLAIMER, "Page A says this."]),
      page("2", "https://shop.example/b", ["Page B says that.", `  ${DISCLAIMER}  `]),
    ], [[DISCLAIMER], [DISCLAIMER]]],
    ["two chunks of one page share their overlap, not a frame", [
      page("1", "https://shop.example/a", [DISCLAIMER, "Overlap line."]),
      page("1", "https://shop.example/a", ["Overlap line.", DISCLAIMER]),
    ], [[], []]],
    ["two sites that carry one paragraph share a fact", [
      page("1", "https://news.example/a", [DISCLAIMER]),
      page("2", "https://other.example/a", [DISCLAIMER]),
    ], [[], []]],
    ["names that are no addresses", [
      page("1", "notes.pdf", [DISCLAIMER]),
      page("2", null, [DISCLAIMER]),
    ], [[], []]],
  ];
  for (const [name, sources, expected] of rows) {
    await t.step(`siteRepeats(): ${name}`, () => {
      assert.deepEqual(siteRepeats(sources).map((s) => [...s]), expected);
    });
  }
});

Deno.test("sourceUnits(): a sentence the site repeats is chrome; a field, a number or a heading is not", () => {
  const lines = [
    "Specifications",
    "Elevator: yes",
    "Runs on Saturdays only.",
    "Runs on 6 days a week.",
    DISCLAIMER,
    "The battery lasts nine hours in our test.",
  ];
  const units = sourceUnits(page("1", "https://shop.example/a", lines), 0, new Set(lines));
  const texts = units.map((u) => u.text);
  assert.ok(!texts.includes(DISCLAIMER));
  assert.ok(!texts.includes("Runs on Saturdays only."));
  for (const kept of ["Specifications", "Elevator: yes", "Runs on 6 days a week."]) {
    assert.ok(texts.includes(kept), kept);
  }
  const alone = sourceUnits(page("1", "https://shop.example/a", lines), 0).map((u) => u.text);
  assert.ok(alone.includes(DISCLAIMER));
});

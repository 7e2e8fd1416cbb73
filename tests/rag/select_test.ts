/** Tests for src/rag/select.ts (units, query terms, selection) and the plan's coldPrompt. */
import assert from "node:assert/strict";
import { queryTerms, selectContext, sourceUnits } from "../../src/rag/select.ts";
import { withHistory } from "../../src/rag/pipeline.ts";

const src = (id: string, text: string) => ({ id, name: null, text });

Deno.test("sourceUnits() drops junk and keeps structure blocks with their intro", () => {
  const units = sourceUnits(
    src(
      "2",
      [
        "Home | News | Contact",
        "Use a soft reset to keep your changes:",
        "git reset --soft HEAD~1",
        "Share",
        "Battery: 50 Wh",
        "Weight: 640 g",
      ].join("\n"),
    ),
    0,
  );
  assert.deepEqual(units.map((u) => [u.text, u.fields, u.joined]), [
    ["Use a soft reset to keep your changes:\ngit reset --soft HEAD~1", false, false],
    ["Battery: 50 Wh\nWeight: 640 g", true, false],
  ]);
});

Deno.test("queryTerms() leaves stopwords out and weights the conversation less", () => {
  const terms = queryTerms("Wie hoch ist der Verbrauch?", ["Vaillant und Viessmann"]);
  // "hoch" is on the stopwords-iso German list.
  assert.deepEqual(terms, [
    { term: "verbrauch", weight: 1 },
    { term: "vaillant", weight: 0.3 },
    { term: "viessmann", weight: 0.3 },
  ]);
});

Deno.test("selectContext() keeps relevant lines under their ids and drops the rest", async (t) => {
  const sources = [
    src(
      "1",
      "We use cookies to improve your experience on this site.\n" +
        "The Eiffel Tower is 330 metres tall.\nIt was completed in March 1889 for the fair.",
    ),
    src("2", "Arsenal beat Chelsea 3-1 on Saturday, with two goals from Saka."),
    src("3", "The Eiffel Tower is 330 metres tall."),
  ];
  const r = selectContext(sources, "How tall is the Eiffel Tower?", [], 2000, 500);
  await t.step("a continuation sentence borrows its neighbour's relevance", () => {
    assert.deepEqual(r.kept.map((k) => [k.sourceId, k.text]), [
      ["1", "The Eiffel Tower is 330 metres tall."],
      ["1", "It was completed in March 1889 for the fair."],
    ]);
  });
  await t.step("an irrelevant source and a duplicate source are dropped", () => {
    assert.ok(!r.kept.some((k) => k.sourceId !== "1"));
    assert.equal(r.droppedDuplicates, 1);
    assert.equal(r.floorTriggered, false);
  });
  await t.step("nothing relevant → nothing kept, the floor is triggered", () => {
    const none = selectContext(sources.slice(1, 2), "How tall is the Eiffel Tower?", [], 2000, 90);
    assert.deepEqual(none.kept, []);
    assert.equal(none.floorTriggered, true);
  });
  await t.step("a question about the page itself keeps every source", () => {
    const all = selectContext(sources.slice(1, 2), "summarize", [], 2000, 90, true);
    assert.equal(all.kept.length, 1);
  });
});

Deno.test("withHistory() puts the most recent whole turns that fit before the prompt", async (t) => {
  const turns = [
    { role: "user" as const, content: "Which two heat pumps?" },
    { role: "assistant" as const, content: "Vaillant and Viessmann." },
  ];
  await t.step("both fit", () => {
    assert.equal(
      withHistory("P", turns, 1000),
      "Conversation so far:\nUser: Which two heat pumps?\nAssistant: Vaillant and Viessmann.\n\nP",
    );
  });
  await t.step("only the last fits", () => {
    assert.equal(
      withHistory("P", turns, 40),
      "Conversation so far:\nAssistant: Vaillant and Viessmann.\n\nP",
    );
  });
  await t.step("none fits", () => assert.equal(withHistory("P", turns, 10), "P"));
});

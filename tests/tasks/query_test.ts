/**
 * Tests for src/tasks/query.ts: entity extraction by tier, the vagueness rule, and the search
 * query built from the last user turn (cleaning, enrichment from the previous assistant turn,
 * the 200-character limit, no query for turns that ask nothing).
 */
import assert from "node:assert/strict";
import type { HistoryTurn } from "../../src/tasks/history.ts";
import {
  buildSearchQuery,
  cleanQuestion,
  extractEntities,
  isVague,
  QUERY_MAX_CHARS,
} from "../../src/tasks/query.ts";

const u = (content: string): HistoryTurn => ({ role: "user", content });
const a = (content: string): HistoryTurn => ({ role: "assistant", content });

const ORANGE_PI = a(
  "The **Orange Pi 5 Plus** is a board with the Rockchip RK3588, up to 32 GB of RAM and a " +
    "6 TOPS NPU.",
);

Deno.test("extractEntities() takes the first tier that yields anything", async (t) => {
  const rows: [string, string, string[]][] = [
    ["bold", ORANGE_PI.content, ["Orange Pi 5 Plus"]],
    ["quoted, straight and typographic", 'Try "Dune" or “The Hobbit”.', ["Dune", "The Hobbit"]],
    ["bold label ending in a colon is not an entity", "**Note:** see Rockchip RK3588.", [
      "Rockchip RK3588",
    ]],
    [
      "capitalised multi-word names, sentence-opening stop word dropped",
      "The Orange Pi 5 Plus uses the Rockchip RK3588 made in Fuzhou.",
      ["Orange Pi 5 Plus", "Rockchip RK3588"],
    ],
    ["names with a connector", "It is run by the Bank of America.", ["Bank of America"]],
    ["camel-cased names", "Compared with Apple's iPhone 15 Pro, it is cheaper.", [
      "Apple's iPhone 15 Pro",
    ]],
    [
      "single capitalised words that do not open a sentence",
      "The capital of France is Paris.",
      ["France", "Paris"],
    ],
    ["sentence-opening single words are skipped", "Paris is big. Lyon too.", []],
    ["list items open a sentence", "- Paris\n- Lyon", []],
    ["numbers with units last", "it costs $149 and has 16 GB, at 14 tokens/s", [
      "$149",
      "16 GB",
      "14 tokens/s",
    ]],
    ["reasoning and code ignored", "<think>Maybe **Foo Bar**</think>```\nBaz Qux\n```\nok", []],
    ["duplicates once", "**Rust** and **rust**", ["Rust"]],
    ["nothing", "yes, that is right.", []],
  ];
  for (const [name, text, want] of rows) {
    await t.step(name, () => assert.deepEqual(extractEntities(text), want));
  }
});

Deno.test("isVague() flags turns that cannot be searched on their own", async (t) => {
  const rows: [string, boolean][] = [
    ["how much does it cost", true],
    ["what about it", true],
    ["and the price", true],
    ["how many people live there", true],
    ["How much RAM does it have", true],
    ["why", true],
    ["und der Preis", true],
    ["What is Docker", false],
    ["What is the Orange Pi 5 Plus", false],
    ["Is it safe to eat raw eggs", false],
    ["best hiking trails near Denver", false],
  ];
  for (const [turn, want] of rows) {
    await t.step(turn, () => assert.equal(isVague(turn), want));
  }
});

Deno.test("cleanQuestion() strips openers, filler and trailing punctuation", async (t) => {
  const rows: [string, string][] = [
    ["Hi! Can you please tell me the weather in Berlin?", "the weather in Berlin"],
    ["I want to know how NPUs work, thanks!", "how NPUs work"],
    ["**What** is `deno`?", "What is deno"],
    ["Hey, what's new in Deno 2?", "what's new in Deno 2"],
  ];
  for (const [input, want] of rows) {
    await t.step(input, () => assert.equal(cleanQuestion(input), want));
  }
});

Deno.test("buildSearchQuery() builds one query from the last user turn", async (t) => {
  const rows: [string, HistoryTurn[], string | null][] = [
    ["empty history", [], null],
    ["no user turn", [a("Hello!")], null],
    [
      "a clear question as it is, opener stripped",
      [u("Hi, how fast can the Orange Pi 5 Plus NPU run Qwen3 1.7B?")],
      "how fast can the Orange Pi 5 Plus NPU run Qwen3 1.7B",
    ],
    [
      "enriched with the bold entity of the previous assistant turn",
      [u("What is the Orange Pi 5 Plus?"), ORANGE_PI, u("how much does it cost?")],
      "Orange Pi 5 Plus how much does it cost",
    ],
    [
      "continuation opener and article dropped",
      [u("What is the Orange Pi 5 Plus?"), ORANGE_PI, u("And the price?")],
      "Orange Pi 5 Plus price",
    ],
    [
      "only stop words left: the entities alone",
      [u("What is the Orange Pi 5 Plus?"), ORANGE_PI, u("what about it?")],
      "Orange Pi 5 Plus",
    ],
    [
      "Open WebUI's follow-up (chat_followup.json): single capitalised words",
      [
        u("What is the capital of France?"),
        a("<think>\nThe user asks.\n</think>\n\nThe capital of France is Paris."),
        u("And how many people live there?"),
      ],
      "France Paris how many people live there",
    ],
    [
      "no entity in the assistant turn: from the user turn before",
      [u('Tell me about "Dune"'), a("It is a novel from 1965."), u("who wrote it?")],
      "Dune who wrote it",
    ],
    [
      "entities the turn already mentions are skipped",
      [u("x"), a("**Rust** and **Go** are languages."), u("and how fast is Rust?")],
      "Go how fast is Rust",
    ],
    [
      "a clear new question is not enriched",
      [u("x"), ORANGE_PI, u("What is Docker?")],
      "What is Docker",
    ],
    [
      "vague without any entity: the turn as it is",
      [u("how much does it cost?")],
      "how much does it cost",
    ],
    ["vague with only stop words and nothing to enrich: none", [u("what about it?")], null],
    ["greeting only: none", [u("hello!")], null],
    ["acknowledgement: none", [u("x"), ORANGE_PI, u("ok thanks, great!")], null],
    ["filler only: none", [u("x"), ORANGE_PI, u("Thank you so much!")], null],
    [
      "non-English question kept",
      [u("Quelle est la capitale de la France ?")],
      "Quelle est la capitale de la France",
    ],
    [
      "the last user turn, not a later assistant turn",
      [u("best laptops for Linux"), a("Here are some…")],
      "best laptops for Linux",
    ],
  ];
  for (const [name, history, want] of rows) {
    await t.step(name, () => assert.equal(buildSearchQuery(history), want));
  }
});

Deno.test("buildSearchQuery() stays within 200 characters", async (t) => {
  await t.step("a long question is cut at a word boundary", () => {
    const long = "why does the " + "very ".repeat(60) + "long sentence never end";
    const q = buildSearchQuery([u(long)])!;
    assert.ok(q.length <= QUERY_MAX_CHARS, `${q.length}`);
    assert.ok(q.startsWith("why does the very"));
    assert.ok(!q.endsWith(" "));
  });
  await t.step("entities are added only while they fit", () => {
    const names = ["Alpha", "Beta", "Gamma"].map((n) => `**${n} ${"Long ".repeat(14)}Name**`);
    const q = buildSearchQuery([u("x"), a(names.join(" and ")), u("how much does it cost?")])!;
    assert.ok(q.length <= QUERY_MAX_CHARS, `${q.length}`);
    assert.ok(q.endsWith("how much does it cost"), q);
    assert.ok(q.includes("Alpha"), q);
  });
});

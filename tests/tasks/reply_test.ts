/**
 * Tests for src/tasks/reply.ts: the model's task answer cleaned into Open WebUI's JSON (clean
 * JSON, code fences, reasoning, chatter, lenient keys), and the shortcut reply whenever the
 * answer is unusable (wrong shape, placeholders, garbage). Never throws.
 */
import assert from "node:assert/strict";
import type { TaskKind } from "../../src/tasks/detect.ts";
import { normaliseTaskReply, parseTaskOutput, stripReasoning } from "../../src/tasks/reply.ts";
import { shortcutReply } from "../../src/tasks/shortcut.ts";
import { FIXTURES, HAS_FIXTURES } from "./fixtures.ts";
import type { ChatMessage } from "../../src/chat/messages.ts";

/**
 * The request each kind's answer comes with. Without the fixtures these lists are empty: the two
 * table tests below still hold, as a usable answer ignores the messages and the fallback is
 * compared with `shortcutReply()` of the same messages.
 */
const MESSAGES: Record<TaskKind, ChatMessage[]> = {
  title: FIXTURES.title,
  tags: FIXTURES.tags,
  follow_ups: FIXTURES.follow_ups,
  queries: FIXTURES.queries,
  autocomplete: [],
};

const FALLBACK = "fallback";

Deno.test("normaliseTaskReply() keeps a usable model answer, re-serialised", async (t) => {
  const rows: [string, TaskKind, string, string][] = [
    [
      "clean JSON",
      "title",
      '{ "title": "🗼 Capital of France" }',
      '{"title":"🗼 Capital of France"}',
    ],
    [
      "JSON in a code fence",
      "tags",
      '```json\n{\n  "tags": ["Geography", "Europe"]\n}\n```',
      '{"tags":["Geography","Europe"]}',
    ],
    [
      "JSON after a <think> block",
      "follow_ups",
      '<think>\nThe user asked about France. I should suggest {"x": 1}.\n</think>\n\n' +
      '{"follow_ups": ["What is the population of Paris?", "What else is in France?"]}',
      '{"follow_ups":["What is the population of Paris?","What else is in France?"]}',
    ],
    [
      "orphan </think> (template opened the block)",
      "title",
      'reasoning about {"title": "wrong"}\n</think>\n{"title": "Right One"}',
      '{"title":"Right One"}',
    ],
    [
      "chatter around the JSON",
      "queries",
      'Sure! Here are the queries:\n{"queries": ["orange pi 5 plus npu speed"]}\nHope this helps.',
      '{"queries":["orange pi 5 plus npu speed"]}',
    ],
    ["empty queries list is valid", "queries", '{"queries": []}', '{"queries":[]}'],
    [
      "strings trimmed, whitespace collapsed in a title, extra keys dropped",
      "title",
      '{"title": "  Capital\n of   France ", "confidence": 0.9}',
      '{"title":"Capital of France"}',
    ],
    [
      "lenient key: case and hyphen",
      "follow_ups",
      '{"Follow-Ups": [" Why? "]}',
      '{"follow_ups":["Why?"]}',
    ],
    [
      "trailing comma repaired",
      "tags",
      '{"tags": ["Science", "Physics",],}',
      '{"tags":["Science","Physics"]}',
    ],
    [
      "braces inside strings",
      "title",
      '{"title": "Using {braces} in Rust"}',
      '{"title":"Using {braces} in Rust"}',
    ],
    [
      "first usable object wins over an earlier unusable one",
      "title",
      'Format: {title: x}. Answer: {"title": "Real Title"}',
      '{"title":"Real Title"}',
    ],
    [
      "a bare array for a list kind when there is no object",
      "follow_ups",
      '["How big is Paris?", "Is Paris old?"]',
      '{"follow_ups":["How big is Paris?","Is Paris old?"]}',
    ],
    [
      "autocomplete text kept verbatim, leading space included",
      "autocomplete",
      '{ "text": " with vibrant shades of orange." }',
      '{"text":" with vibrant shades of orange."}',
    ],
    ["autocomplete empty text is valid", "autocomplete", '{"text": ""}', '{"text":""}'],
    [
      "ten items are allowed",
      "tags",
      JSON.stringify({ tags: "abcdefghij".split("") }),
      JSON.stringify({ tags: "abcdefghij".split("") }),
    ],
    [
      "an 80-character title is allowed",
      "title",
      JSON.stringify({ title: "t".repeat(80) }),
      JSON.stringify({ title: "t".repeat(80) }),
    ],
  ];
  for (const [name, kind, output, want] of rows) {
    await t.step(name, () => assert.equal(normaliseTaskReply(kind, output, MESSAGES[kind]), want));
  }
});

Deno.test("normaliseTaskReply() falls back to the shortcut reply", async (t) => {
  const rows: [string, TaskKind, string][] = [
    ["garbage", "title", "I cannot help with that."],
    ["empty output", "tags", ""],
    ["truncated JSON", "follow_ups", '{"follow_ups": ["What is'],
    ["wrong key", "title", '{"name": "Capital of France"}'],
    ["title not a string", "title", '{"title": ["Capital"]}'],
    ["empty title", "title", '{"title": "   "}'],
    ["title over 80 characters", "title", JSON.stringify({ title: "t".repeat(81) })],
    ["tags not an array", "tags", '{"tags": "Geography"}'],
    ["a non-string tag", "tags", '{"tags": ["Geography", 3]}'],
    ["an empty follow-up", "follow_ups", '{"follow_ups": ["Why?", ""]}'],
    ["more than ten queries", "queries", JSON.stringify({ queries: "abcdefghijk".split("") })],
    ["autocomplete text not a string", "autocomplete", '{"text": null}'],
    ["template placeholder echoed", "title", '{ "title": "your concise title here" }'],
    ["placeholder tags echoed", "tags", '{ "tags": ["tag1", "tag2", "tag3"] }'],
    ["placeholder completion echoed", "autocomplete", '{ "text": "<your_completion>" }'],
    ["JSON only inside an unclosed <think>", "title", '<think>{"title": "Maybe This"}'],
    ["an array where an object holds the wrong key", "follow_ups", '{"questions": ["Why?"]}'],
    ["a bare array for the title", "title", '["Capital of France"]'],
    ["deeply nested garbage", "queries", "{".repeat(5000)],
  ];
  for (const [name, kind, output] of rows) {
    await t.step(name, () => {
      const got = normaliseTaskReply(kind, output, MESSAGES[kind]);
      assert.equal(got, shortcutReply(kind, MESSAGES[kind]), FALLBACK);
      JSON.parse(got);
    });
  }
});

Deno.test({
  name: "normaliseTaskReply() falls back with the request's own history",
  ignore: !HAS_FIXTURES,
  fn: () => {
    assert.equal(
      normaliseTaskReply("title", "no json here", FIXTURES.title),
      '{"title":"🌍 What is the capital of France"}',
    );
    assert.equal(
      normaliseTaskReply("queries", "{oops", FIXTURES.queries),
      '{"queries":["How fast can the Orange Pi 5 Plus NPU run Qwen3 1.7B"]}',
    );
  },
});

Deno.test("parseTaskOutput() returns null when nothing fits", () => {
  assert.equal(parseTaskOutput("tags", "nothing"), null);
  assert.equal(parseTaskOutput("tags", '{"tags": ["A"]}'), '{"tags":["A"]}');
});

Deno.test("stripReasoning() removes closed, orphan and unclosed think blocks", async (t) => {
  const rows: [string, string][] = [
    ["<think>a</think>b", " b"],
    ["a</think>b", "b"],
    ["a<think>b", "a"],
    ["<THINK>x</THINK>y<think>z", " y"],
    ["plain", "plain"],
  ];
  for (const [input, want] of rows) {
    await t.step(JSON.stringify(input), () => assert.equal(stripReasoning(input), want));
  }
});

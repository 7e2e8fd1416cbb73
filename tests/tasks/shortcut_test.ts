/**
 * Tests for src/tasks/shortcut.ts: every kind's instant reply is the JSON Open WebUI parses, with
 * exactly its key, for the fixtures and for full task requests (title with and without emoji,
 * the search-query enrichment case, empty histories).
 */
import assert from "node:assert/strict";
import { type TaskKind } from "../../src/tasks/detect.ts";
import { shortcutReply, STATIC_REPLIES } from "../../src/tasks/shortcut.ts";
import type { ChatMessage } from "../../src/chat/messages.ts";
import {
  assistant,
  autocompleteTask,
  FIXTURES,
  HAS_FIXTURES,
  plainTitleTask,
  queriesTask,
  system,
  titleTask,
  user,
} from "./fixtures.ts";

const KEYS: Record<TaskKind, string> = {
  title: "title",
  tags: "tags",
  follow_ups: "follow_ups",
  queries: "queries",
  autocomplete: "text",
};

Deno.test("shortcutReply() answers every fixture with JSON holding exactly its key", async (t) => {
  // `ignore` marks a row built from a fixture: its step is ignored when the fixtures are absent.
  const rows: [TaskKind, ChatMessage[], unknown, ignore?: boolean][] = [
    ["title", FIXTURES.title, "🌍 What is the capital of France", !HAS_FIXTURES],
    ["tags", FIXTURES.tags, ["General"], !HAS_FIXTURES],
    ["follow_ups", FIXTURES.follow_ups, [], !HAS_FIXTURES],
    [
      "queries",
      FIXTURES.queries,
      ["How fast can the Orange Pi 5 Plus NPU run Qwen3 1.7B"],
      !HAS_FIXTURES,
    ],
    ["autocomplete", autocompleteTask("General", "The best way to", "hi", "hello"), ""],
  ];
  for (const [kind, messages, value, ignore] of rows) {
    await t.step({
      name: kind,
      ignore,
      fn: () => {
        const reply = shortcutReply(kind, messages);
        const parsed = JSON.parse(reply);
        assert.deepEqual(Object.keys(parsed), [KEYS[kind]]);
        assert.deepEqual(parsed[KEYS[kind]], value);
        assert.equal(reply, JSON.stringify({ [KEYS[kind]]: value }), "compact JSON");
      },
    });
  }
});

Deno.test("shortcutReply() never fails, even for messages that are not a task", async (t) => {
  const kinds: TaskKind[] = ["title", "tags", "follow_ups", "queries", "autocomplete"];
  // `ignore` marks an input built from a fixture: its steps are ignored when the fixtures are absent.
  const inputs: [string, ChatMessage[], ignore?: boolean][] = [
    ["no messages", []],
    ["ordinary chat", FIXTURES.chatFollowup, !HAS_FIXTURES],
    ["empty history block", titleTask()],
  ];
  for (const [name, messages, ignore] of inputs) {
    for (const kind of kinds) {
      await t.step({
        name: `${kind}, ${name}`,
        ignore,
        fn: () => {
          const parsed = JSON.parse(shortcutReply(kind, messages));
          assert.deepEqual(Object.keys(parsed), [KEYS[kind]]);
        },
      });
    }
  }
});

const title = (messages: ChatMessage[]): string =>
  JSON.parse(shortcutReply("title", messages)).title;

Deno.test("shortcutReply('title') titles the first real user message", async (t) => {
  const rows: [string, ChatMessage[], string][] = [
    [
      "newer template: no emoji",
      plainTitleTask("What is the capital of France?", "Paris."),
      "What is the capital of France",
    ],
    [
      "older template: an emoji",
      titleTask("How do I bake sourdough bread?", "Start with a starter."),
      "🍳 How do I bake sourdough bread",
    ],
    [
      "openers stripped",
      plainTitleTask("hey! could you please explain how vaccines work?", "Sure."),
      "Explain how vaccines work",
    ],
    [
      "long message cut at a word boundary",
      plainTitleTask(
        "I would like to know what the differences are between the RK3588 and the RK3588S " +
          "chips for running language models",
        "…",
      ),
      "What the differences are between the RK3588",
    ],
    [
      "non-English",
      plainTitleTask("Hola, ¿cómo se hace una tortilla de patatas?", "…"),
      "Cómo se hace una tortilla de patatas",
    ],
    ["empty history", plainTitleTask(), "New Chat"],
    ["greeting-only history", plainTitleTask("hi", "Hello! How can I help?"), "New Chat"],
    [
      "template in the system message, conversation as turns",
      [
        system('### Task:\nGenerate a short title.\n### Output:\n{ "title": "…" }'),
        user("Recommend a sci-fi novel"),
        assistant("Try Dune."),
      ],
      "Recommend a sci-fi novel",
    ],
  ];
  for (const [name, messages, want] of rows) {
    await t.step(name, () => {
      const got = title(messages);
      assert.equal(got, want);
      assert.ok(got.replace(/^\p{Extended_Pictographic}\uFE0F? /u, "").length <= 50);
    });
  }
});

const queries = (messages: ChatMessage[]): string[] =>
  JSON.parse(shortcutReply("queries", messages)).queries;

Deno.test("shortcutReply('queries') builds one query or none", async (t) => {
  await t.step("vague follow-up enriched from the previous assistant turn", () => {
    const got = queries(queriesTask(
      "What is the Orange Pi 5 Plus?",
      "The **Orange Pi 5 Plus** is a board with the Rockchip RK3588 SoC and a 6 TOPS NPU.",
      "how much does it cost?",
    ));
    assert.equal(got.length, 1);
    assert.match(got[0], /Orange Pi 5 Plus/);
    assert.match(got[0], /cost/);
    assert.ok(got[0].length <= 200);
  });
  await t.step("openers and filler stripped", () => {
    assert.deepEqual(
      queries(queriesTask("Hi! Can you please tell me the best hiking trails near Denver?")),
      ["the best hiking trails near Denver"],
    );
  });
  await t.step("no usable question → []", () => {
    assert.deepEqual(queries(queriesTask("hello", "Hi! How can I help?", "thanks!")), []);
  });
  await t.step("empty history → []", () => {
    assert.deepEqual(queries(queriesTask()), []);
  });
});

Deno.test("STATIC_REPLIES are the fixed answers", () => {
  assert.equal(STATIC_REPLIES.tags, '{"tags":["General"]}');
  assert.equal(STATIC_REPLIES.follow_ups, '{"follow_ups":[]}');
  assert.equal(STATIC_REPLIES.autocomplete, '{"text":""}');
  assert.equal(STATIC_REPLIES.queries, '{"queries":[]}');
  assert.equal(STATIC_REPLIES.title, '{"title":"New Chat"}');
});

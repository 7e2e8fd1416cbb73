/**
 * Tests for src/tasks/title.ts: titles from user messages (openers, long text cut at a word
 * boundary, non-English, markdown and code), the first real user message, the "New Chat"
 * default, and the emoji rule.
 */
import assert from "node:assert/strict";
import type { HistoryTurn } from "../../src/tasks/history.ts";
import {
  makeTitle,
  TITLE_MAX_CHARS,
  titleEmoji,
  titleFromText,
  wantsEmoji,
} from "../../src/tasks/title.ts";

Deno.test("titleFromText() makes a title of one user message", async (t) => {
  const rows: [string, string, string][] = [
    ["a plain question", "What is the capital of France?", "What is the capital of France"],
    [
      "greeting and preamble stripped",
      "Hi! Can you please tell me what the capital of France is?",
      "What the capital of France is",
    ],
    ["I want to know", "I want to know how rainbows form.", "How rainbows form"],
    ["help me", "hey, help me write a cover letter", "Write a cover letter"],
    ["first letter upper-cased", "explain quicksort", "Explain quicksort"],
    [
      "first sentence only",
      "What is the capital of France? I need it for a quiz tomorrow.",
      "What is the capital of France",
    ],
    [
      "long text cut at a word boundary, dangling stop word dropped",
      "Could you compare the energy efficiency of the RK3588 NPU with the Jetson Orin Nano for " +
      "small language models",
      "Compare the energy efficiency of the RK3588 NPU",
    ],
    [
      "a greeting line, then the question",
      "Hello!\n\nHow do I bake sourdough bread at home?",
      "How do I bake sourdough bread at home",
    ],
    [
      "markdown and code removed",
      "## **Why** does `npm install` fail?\n```\nERR! code E404\n```",
      "Why does npm install fail",
    ],
    [
      "French",
      "Bonjour ! Quelle est la capitale de la France ?",
      "Quelle est la capitale de la France",
    ],
    ["Spanish opening mark", "¿Cuál es la capital de Francia?", "Cuál es la capital de Francia"],
    ["German", "wie funktioniert ein Transformator?", "Wie funktioniert ein Transformator"],
    ["Chinese, greeting stripped", "你好，请问北京今天的天气怎么样？", "北京今天的天气怎么样"],
    ["Russian upper-cased", "привет, как дела у NPU?", "Как дела у NPU"],
    ["only a greeting", "hi there!", ""],
    ["only punctuation", "???", ""],
  ];
  for (const [name, input, want] of rows) {
    await t.step(name, () => {
      const title = titleFromText(input);
      assert.equal(title, want);
      assert.ok(Array.from(title).length <= TITLE_MAX_CHARS);
    });
  }
});

Deno.test("titleFromText() keeps any long message within 50 characters", () => {
  const long = "word ".repeat(40) + "end";
  const title = titleFromText(long);
  assert.ok(title.length <= TITLE_MAX_CHARS && title.length > 40, title);
  assert.ok(!title.endsWith(" "));
  const noSpaces = "x".repeat(80);
  assert.equal(titleFromText(noSpaces), "X" + "x".repeat(49));
});

const u = (content: string): HistoryTurn => ({ role: "user", content });
const a = (content: string): HistoryTurn => ({ role: "assistant", content });

Deno.test("makeTitle() uses the first real user message", async (t) => {
  const rows: [string, HistoryTurn[], boolean, string][] = [
    ["empty history", [], false, "New Chat"],
    ["empty history, emoji", [], true, "💬 New Chat"],
    ["only an assistant turn", [a("Hello! How can I help?")], false, "New Chat"],
    ["greeting only", [u("hello"), a("Hi! How can I help?")], false, "New Chat"],
    [
      "greeting turn skipped for the next user turn",
      [u("hey"), a("Hi!"), u("what is a monad?")],
      false,
      "What is a monad",
    ],
    [
      "first user turn, not the last",
      [u("Best pizza in Naples?"), a("…"), u("and in Rome?")],
      false,
      "Best pizza in Naples",
    ],
    [
      "with emoji from the keyword table",
      [u("What is the capital of France?"), a("Paris.")],
      true,
      "🌍 What is the capital of France",
    ],
    ["with the default emoji", [u("Tell me a joke")], true, "💬 A joke"],
  ];
  for (const [name, history, emoji, want] of rows) {
    await t.step(name, () => assert.equal(makeTitle(history, emoji), want));
  }
});

Deno.test("wantsEmoji() follows the template's instruction", async (t) => {
  const rows: [string, boolean][] = [
    ["Generate a concise, 3-5 word title with an emoji summarizing the chat history.", true],
    ["- Use emojis that enhance understanding of the topic", true],
    ["Generate a concise title. Do not use emojis, quotation marks, or formatting.", false],
    ["Generate a 3-5 word title without any emojis (this is important).", false],
    ["Write a title. Avoid emojis.", false],
    ["Generate a concise title summarizing the chat history.", false],
  ];
  for (const [text, want] of rows) {
    await t.step(text, () => assert.equal(wantsEmoji(text), want));
  }
});

Deno.test("titleEmoji() picks by keyword, 💬 otherwise", async (t) => {
  const rows: [string, string][] = [
    ["How do I bake bread?", "🍳"],
    ["Why does my Python script crash?", "💻"],
    ["How fast is the NPU for LLM inference?", "🤖"],
    ["How much does a flight to Tokyo cost?", "✈️"],
    ["Write an essay about whales", "✍️"],
    ["Tell me a joke", "💬"],
  ];
  for (const [text, want] of rows) {
    await t.step(text, () => assert.equal(titleEmoji(text), want));
  }
});

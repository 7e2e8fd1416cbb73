/**
 * Tests for src/tasks/text.ts: openers and filler, markdown to prose, truncation at a word
 * boundary, dangling stop words.
 */
import assert from "node:assert/strict";
import {
  contentWords,
  plainText,
  stripDanglingStopWords,
  stripFiller,
  stripOpeners,
  stripTrailingPunctuation,
  truncateAtWord,
} from "../../src/tasks/text.ts";

Deno.test("stripOpeners() removes greetings and preambles, repeatedly", async (t) => {
  const rows: [string, string][] = [
    ["What is Rust?", "What is Rust?"],
    ["hi", ""],
    ["Hi! Can you please tell me what the capital of France is?", "what the capital of France is?"],
    ["Hey there, could you explain monads", "explain monads"],
    ["Hello. I want to know how NPUs work", "how NPUs work"],
    ["I'd like to know the time in Tokyo", "the time in Tokyo"],
    ["Good morning! Quick question: is tea healthy?", "is tea healthy?"],
    ["please help me write a poem", "write a poem"],
    ["Tell me about the Eiffel Tower", "the Eiffel Tower"],
    ["OK so what now", "what now"],
    ["Question: why is the sky blue?", "why is the sky blue?"],
    ["Question marks in Spanish", "Question marks in Spanish"],
    ["Well-known sorting algorithms", "Well-known sorting algorithms"],
    ["Hi-fi speakers under $200", "Hi-fi speakers under $200"],
    ["Hallo, wie spät ist es?", "wie spät ist es?"],
    ["你好，请问北京在哪里", "北京在哪里"],
    ["Historic sites in Rome", "Historic sites in Rome"],
    ["Please", ""],
  ];
  for (const [input, want] of rows) {
    await t.step(JSON.stringify(input), () => assert.equal(stripOpeners(input), want));
  }
});

Deno.test("stripFiller() removes politeness anywhere", async (t) => {
  const rows: [string, string][] = [
    ["what is the weather, please?", "what is the weather?"],
    ["thanks! and the price", "and the price"],
    ["is it open today by any chance", "is it open today"],
    ["Pleased to meet you", "Pleased to meet you"],
  ];
  for (const [input, want] of rows) {
    await t.step(JSON.stringify(input), () => assert.equal(stripFiller(input), want));
  }
});

Deno.test("plainText() turns markdown and reasoning into one line of prose", async (t) => {
  const rows: [string, string][] = [
    ["**bold** and _kept_ and `code`", "bold and _kept_ and code"],
    ["# Heading\n> quote\n- item\n1. first", "Heading quote item first"],
    ["see [the docs](https://x.y) ![img](a.png)", "see the docs img"],
    ["<think>hmm</think>Answer", "Answer"],
    ['<details type="reasoning">x</details>\nAnswer', "Answer"],
    ["before\n```ts\nconst a = 1;\n```\nafter", "before after"],
    ["2 * 3 * 4", "2 * 3 * 4"],
  ];
  for (const [input, want] of rows) {
    await t.step(JSON.stringify(input), () => assert.equal(plainText(input), want));
  }
});

Deno.test("truncateAtWord() cuts at a word boundary within the limit", async (t) => {
  const rows: [string, number, string, boolean][] = [
    ["short", 10, "short", false],
    ["exactly ten", 11, "exactly ten", false],
    ["one two three four", 10, "one two", true],
    ["one two three", 7, "one two", true],
    ["supercalifragilistic", 5, "super", true],
    ["北京今天的天气怎么样", 4, "北京今天", true],
    ["😀😀😀 smile", 4, "😀😀😀", true],
  ];
  for (const [input, max, want, cut] of rows) {
    await t.step(`${JSON.stringify(input)} to ${max}`, () => {
      assert.deepEqual(truncateAtWord(input, max), { text: want, cut });
    });
  }
});

Deno.test("stripTrailingPunctuation() and stripDanglingStopWords() tidy a cut", () => {
  assert.equal(stripTrailingPunctuation("Why?!… "), "Why");
  assert.equal(stripTrailingPunctuation("北京怎么样？"), "北京怎么样");
  assert.equal(stripDanglingStopWords("the capital of the"), "the capital");
  assert.equal(stripDanglingStopWords("the"), "the");
  assert.deepEqual(contentWords("How much does it cost?"), ["cost"]);
});

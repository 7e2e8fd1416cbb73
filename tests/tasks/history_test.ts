/**
 * Tests for src/tasks/history.ts: the `<chat_history>` block parsed into turns (multi-line
 * messages, prefixes in any case, missing or repeated tags), and the conversation a task request
 * is about wherever the template put it.
 */
import assert from "node:assert/strict";
import {
  chatHistoryBlock,
  type HistoryTurn,
  parseChatHistory,
  taskHistory,
} from "../../src/tasks/history.ts";
import type { ChatMessage } from "../../src/chat/messages.ts";
import { assistant, FIXTURES, HAS_FIXTURES, system, titleTask, user } from "./fixtures.ts";

const u = (content: string): HistoryTurn => ({ role: "user", content });
const a = (content: string): HistoryTurn => ({ role: "assistant", content });

Deno.test("parseChatHistory() reads the turns of the <chat_history> block", async (t) => {
  const rows: [string, string, HistoryTurn[]][] = [
    ["no block", "USER: hi\nASSISTANT: hello", []],
    ["empty block", "<chat_history>\n</chat_history>", []],
    [
      "one exchange",
      "<chat_history>\nUSER: What is the capital of France?\nASSISTANT: Paris.\n</chat_history>",
      [u("What is the capital of France?"), a("Paris.")],
    ],
    [
      "multi-line messages keep their lines",
      "<chat_history>\nUSER: Fix this:\n\n  const x = 1\nthanks\nASSISTANT: Here:\n- one\n- two\n" +
      "</chat_history>",
      [u("Fix this:\n\n  const x = 1\nthanks"), a("Here:\n- one\n- two")],
    ],
    [
      "prefixes in any case, with or without a space",
      "<chat_history>\nuser:hi\nAssistant : hello\nUser:   again\n</chat_history>",
      [u("hi"), a("hello"), u("again")],
    ],
    [
      "text before the first prefix is ignored",
      "<chat_history>\n(last 2 messages)\nUSER: hi\n</chat_history>",
      [u("hi")],
    ],
    [
      "empty turns are dropped",
      "<chat_history>\nUSER: hi\nASSISTANT:\nUSER: still there?\n</chat_history>",
      [u("hi"), u("still there?")],
    ],
    [
      "a line mentioning a role mid-line is content",
      "<chat_history>\nUSER: the user: field and ASSISTANT: label\n</chat_history>",
      [u("the user: field and ASSISTANT: label")],
    ],
    [
      "missing closing tag: to the end",
      "### Task:\n<chat_history>\nUSER: hi\nASSISTANT: hello",
      [u("hi"), a("hello")],
    ],
    [
      "a closing tag inside a message: up to the last closing tag",
      "<chat_history>\nUSER: what is </chat_history>?\nASSISTANT: a tag\n</chat_history>\nend",
      [u("what is </chat_history>?"), a("a tag")],
    ],
    [
      "a backticked mention before the block is not the block",
      "Read `<chat_history>` below.\n<chat_history>\nUSER: hi\n</chat_history>",
      [u("hi")],
    ],
    [
      "CRLF line ends",
      "<chat_history>\r\nUSER: hi\r\nASSISTANT: hello\r\n</chat_history>",
      [u("hi"), a("hello")],
    ],
    [
      "non-English content",
      "<chat_history>\nUSER: Quelle est la capitale de la France ?\nASSISTANT: Paris.\n" +
      "</chat_history>",
      [u("Quelle est la capitale de la France ?"), a("Paris.")],
    ],
  ];
  for (const [name, text, want] of rows) {
    await t.step(name, () => assert.deepEqual(parseChatHistory(text), want));
  }
});

Deno.test("chatHistoryBlock() returns null without a block", () => {
  assert.equal(chatHistoryBlock("no block here"), null);
  assert.equal(chatHistoryBlock("<chat_history>x</chat_history>"), "x");
});

Deno.test("taskHistory() finds the conversation a task is about", async (t) => {
  // `ignore` marks a row built from a fixture: its step is ignored when the fixtures are absent.
  const rows: [string, ChatMessage[], HistoryTurn[], ignore?: boolean][] = [
    [
      "task_title.json: the block in the user message",
      FIXTURES.title,
      [u("What is the capital of France?"), a("The capital of France is Paris.")],
      !HAS_FIXTURES,
    ],
    [
      "task_search_queries.json",
      FIXTURES.queries,
      [u("How fast can the Orange Pi 5 Plus NPU run Qwen3 1.7B?")],
      !HAS_FIXTURES,
    ],
    [
      "template in the system message, conversation as turns",
      [system('### Task:\nTitle this chat.\n{"title": ""}'), user("hi"), assistant("hello")],
      [u("hi"), a("hello")],
    ],
    [
      "block in the system message",
      [system('### Task:\nTitle.\n{"title": ""}\n<chat_history>\nUSER: q\n</chat_history>')],
      [u("q")],
    ],
    [
      "no block anywhere: turns minus the task template",
      [user("first"), assistant("answer"), user('### Task:\nTitle it.\n{"title": ""}')],
      [u("first"), a("answer")],
    ],
    ["task with an empty block", titleTask(), []],
  ];
  for (const [name, messages, want, ignore] of rows) {
    await t.step({ name, ignore, fn: () => assert.deepEqual(taskHistory(messages), want) });
  }
});

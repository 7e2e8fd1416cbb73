/**
 * Tests for src/engine/prompt.ts: the verified prompt examples of reference A.9.3, system prompt
 * cleaning (fluff phrases, the date-only rule), the token estimate, history trimming to the
 * context budget, and images: placeholders, escaping, trimming to the image limit.
 */

import assert from "node:assert/strict";
import { ContextLengthError } from "../../src/errors.ts";
import {
  type CachedConversation,
  normaliseConversation,
  type Turn,
} from "../../src/engine/kv_cache.ts";
import {
  buildPrompt,
  cleanSystemPrompt,
  conversationTokens,
  estimateTokens,
} from "../../src/engine/prompt.ts";
import type { ChatMessage } from "../../src/chat/messages.ts";
import { httpError } from "../../src/http/errors.ts";

const sys = (content: string): ChatMessage => ({ role: "system", content });
const user = (content: string): ChatMessage => ({ role: "user", content });
const asst = (content: string): ChatMessage => ({ role: "assistant", content });
const tool = (content: string): ChatMessage => ({ role: "tool", content });

/** Budget of a 4096-token context with the default 2048 reserved for the answer. */
const BUDGET_4096 = 4096 - 2048;

Deno.test("buildPrompt() reproduces the verified examples of reference A.9.3", async (t) => {
  const date = "Today is 2026-02-08 (Sunday), 10:00.";
  const rows: { name: string; messages: ChatMessage[]; prompt: string }[] = [
    {
      name: "a single user message is sent as is",
      messages: [user("Hi there")],
      prompt: "Hi there",
    },
    {
      name: "a fluff phrase is stripped from the system prompt",
      messages: [sys("You are a helpful assistant. Be brief."), user("Hi")],
      prompt: "Be brief.\nHi",
    },
    {
      name: "a date-only system prompt is dropped when the question is not about time",
      messages: [sys(date), user("Tell me a joke")],
      prompt: "Tell me a joke",
    },
    {
      name: "a date-only system prompt is kept when the question is about time",
      messages: [sys(date), user("What day is it today?")],
      prompt: `${date}\nWhat day is it today?`,
    },
    {
      // Differs from the reference, which joined system messages with "\n" (S1\nS2):
      // normaliseConversation() joins them with a blank line.
      name: "two system messages and a multi-turn transcript",
      messages: [sys("S1"), sys("S2"), user("q1"), asst("a1"), user("q2")],
      prompt: "S1\n\nS2\nUser: q1\nAssistant: a1\nUser: q2",
    },
    {
      name: "an empty assistant reply is left out of the transcript",
      messages: [user("q1"), asst(""), user("q2")],
      prompt: "User: q1\nUser: q2",
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      const built = buildPrompt(normaliseConversation(row.messages), BUDGET_4096);
      assert.equal(built.prompt, row.prompt);
      assert.equal(built.droppedTurns, 0);
    });
  }
});

Deno.test("buildPrompt() renders each role of a transcript", async (t) => {
  const rows: { name: string; messages: ChatMessage[]; prompt: string }[] = [
    {
      name: "a tool result is labelled, not dropped (the reference dropped it)",
      messages: [user("Weather?"), tool('{"c":11}')],
      prompt: 'User: Weather?\nTool result: {"c":11}',
    },
    {
      name: "assistant history is sent without its think block",
      messages: [user("q1"), asst("<think>\nhmm\n</think>\n\na1"), user("q2")],
      prompt: "User: q1\nAssistant: a1\nUser: q2",
    },
    {
      name: "a system prompt that is only fluff adds no line",
      messages: [sys("You are a helpful assistant."), user("q1"), asst("a1"), user("q2")],
      prompt: "User: q1\nAssistant: a1\nUser: q2",
    },
    {
      name: "a multi-line system prompt is kept whole",
      messages: [sys("Line one.\nLine two."), user("q")],
      prompt: "Line one.\nLine two.\nq",
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      assert.equal(
        buildPrompt(normaliseConversation(row.messages), BUDGET_4096).prompt,
        row.prompt,
      );
    });
  }
});

Deno.test("cleanSystemPrompt() strips generic assistant phrases", async (t) => {
  const rows: { name: string; system: string; want: string }[] = [
    {
      name: "a helpful assistant",
      system: "You are a helpful assistant. Be brief.",
      want: "Be brief.",
    },
    {
      name: "case-insensitive",
      system: "YOU ARE A HELPFUL ASSISTANT! Be brief.",
      want: "Be brief.",
    },
    {
      name: "an AI assistant",
      system: "You are an AI assistant? Reply in French.",
      want: "Reply in French.",
    },
    { name: "a AI assistant", system: "You are a AI assistant.", want: "" },
    { name: "an assistant", system: "Be brief. You are an assistant.", want: "Be brief." },
    { name: "a helpful AI", system: "You are a helpful AI. Cite sources.", want: "Cite sources." },
    { name: "as an AI assistant", system: "As an AI assistant. Be kind.", want: "Be kind." },
    {
      name: "as a helpful assistant",
      system: "Be kind. As a helpful assistant.",
      want: "Be kind.",
    },
    {
      name: "at the end of the text without punctuation",
      system: "Be brief.\nYou are a helpful assistant",
      want: "Be brief.",
    },
    {
      name: "every occurrence",
      system: "You are a helpful assistant. A. You are a helpful assistant. B.",
      want: "A. B.",
    },
    { name: "only fluff leaves nothing", system: "  You are a helpful assistant.  ", want: "" },
    {
      name: "keeps the phrase when a description follows it",
      system: "You are a helpful assistant that speaks French.",
      want: "You are a helpful assistant that speaks French.",
    },
    {
      name: "keeps the phrase when a comma follows it",
      system: "As a helpful assistant, answer briefly.",
      want: "As a helpful assistant, answer briefly.",
    },
    { name: "trims the result", system: "\n  Be brief.  \n", want: "Be brief." },
    { name: "empty", system: "", want: "" },
  ];
  for (const row of rows) {
    await t.step(`${row.name}: ${JSON.stringify(row.system)}`, () => {
      assert.equal(cleanSystemPrompt(row.system, "Hi"), row.want);
    });
  }
});

Deno.test("cleanSystemPrompt() keeps a date-only system prompt only for questions about time", async (t) => {
  const date = "Today is 2026-02-08 (Sunday), 10:00.";
  const rows: { name: string; system: string; question: string; kept: boolean }[] = [
    { name: "unrelated question", system: date, question: "Tell me a joke", kept: false },
    { name: "'date'", system: date, question: "What's the date?", kept: true },
    { name: "'time'", system: date, question: "What time is it", kept: true },
    { name: "'tomorrow'", system: date, question: "Will it rain tomorrow", kept: true },
    { name: "'when'", system: date, question: "When is Easter?", kept: true },
    { name: "'schedule'", system: date, question: "Plan my schedule", kept: true },
    { name: "'hour', upper case", system: date, question: "HOUR?", kept: true },
    { name: "'year'", system: date, question: "Is this a leap year", kept: true },
    {
      name: "'daylight' is not 'day'",
      system: date,
      question: "Explain daylight saving",
      kept: false,
    },
    {
      name: "'weekend' is not 'week'",
      system: date,
      question: "Ideas for the weekend",
      kept: false,
    },
    {
      name: "the date rule is case-insensitive",
      system: "TODAY IS 2026-02-08",
      question: "Hi",
      kept: false,
    },
    { name: "bare date", system: "Today is 2026-02-08", question: "Hi", kept: false },
    {
      name: "more text on the same line still counts as date-only (as in the reference)",
      system: "Today is 2026-02-08. Be brief.",
      question: "Hi",
      kept: false,
    },
    {
      name: "a second line makes it not date-only",
      system: "Today is 2026-02-08.\nBe brief.",
      question: "Hi",
      kept: true,
    },
    {
      name: "a date without ISO form is kept",
      system: "Today is Sunday.",
      question: "Hi",
      kept: true,
    },
    {
      name: "the date must start the text",
      system: "Note: today is 2026-02-08.",
      question: "Hi",
      kept: true,
    },
    {
      name: "fluff is stripped first, then the date rule applies",
      system: "You are a helpful assistant. Today is 2026-02-08.",
      question: "Tell me a joke",
      kept: false,
    },
  ];
  for (const row of rows) {
    await t.step(`${row.name}: ${JSON.stringify(row.question)}`, () => {
      const got = cleanSystemPrompt(row.system, row.question);
      const want = row.kept ? row.system.replace("You are a helpful assistant. ", "") : "";
      assert.equal(got, want);
    });
  }
});

Deno.test("estimateTokens() counts ASCII characters / 3 plus 1.5 per other character, rounded up", async (t) => {
  const rows: { name: string; text: string; want: number }[] = [
    { name: "empty", text: "", want: 0 },
    { name: "one ASCII character", text: "a", want: 1 },
    { name: "three ASCII characters", text: "abc", want: 1 },
    { name: "four ASCII characters round up", text: "abcd", want: 2 },
    { name: "ASCII sentence (13 characters)", text: "Hello, world!", want: 5 },
    { name: "ASCII whitespace counts", text: "a \n\t b", want: 2 },
    { name: "300 ASCII characters", text: "x".repeat(300), want: 100 },
    { name: "one CJK character", text: "漢", want: 2 },
    { name: "two CJK characters", text: "漢字", want: 3 },
    { name: "accented Latin", text: "é", want: 2 },
    { name: "an emoji counts once, not per UTF-16 unit", text: "🎉", want: 2 },
    { name: "two emoji", text: "🎉🎉", want: 3 },
    { name: "ZWJ emoji sequence: 3 emoji + 2 joiners", text: "👨‍👩‍👧", want: 8 },
    { name: "mixed ASCII and CJK", text: "abc漢字", want: 4 },
    { name: "mixed, rounded up once over the whole text", text: "a漢", want: 2 },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      assert.equal(estimateTokens(row.text), row.want);
    });
  }
});

Deno.test("conversationTokens() adds 8 template tokens per turn to the estimates", async (t) => {
  const rows: { name: string; conv: CachedConversation; want: number }[] = [
    { name: "empty", conv: { system: "", turns: [] }, want: 0 },
    { name: "system only", conv: { system: "abcdef", turns: [] }, want: 2 },
    {
      name: "system and two turns, each estimated separately",
      conv: {
        system: "abc",
        turns: [{ role: "user", content: "abcd" }, { role: "assistant", content: "漢" }],
      },
      want: 1 + (2 + 8) + (2 + 8),
    },
    {
      name: "images at what the conversation says one costs",
      conv: {
        system: "",
        turns: [{ role: "user", content: "abc", images: ["#A", "#B"] }],
        imageTokens: 100,
      },
      want: 1 + 8 + 2 * 100,
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      assert.equal(conversationTokens(row.conv), row.want);
    });
  }
});

/** 30 ASCII characters = 10 estimated tokens, 18 with a turn's template tokens. */
function text30(label: string): string {
  return label.padEnd(30, ".");
}
const u = (label: string): Turn => ({ role: "user", content: text30(label) });
const a = (label: string): Turn => ({ role: "assistant", content: text30(label) });

Deno.test("buildPrompt() trims history to the budget, oldest exchanges first", async (t) => {
  // Cost = system (10) + 18 per kept turn + 8 for the answer's template.
  const system = text30("SYSTEM");
  const five = { system, turns: [u("u1"), a("a1"), u("u2"), a("a2"), u("u3")] };
  const rows: {
    name: string;
    conv: CachedConversation;
    budget: number;
    kept: string[];
    dropped: number;
    tokens: number;
  }[] = [
    {
      name: "keeps everything when it fits exactly",
      conv: five,
      budget: 108,
      kept: ["u1", "a1", "u2", "a2", "u3"],
      dropped: 0,
      tokens: 108,
    },
    {
      name: "drops the oldest exchange when one token over",
      conv: five,
      budget: 107,
      kept: ["u2", "a2", "u3"],
      dropped: 2,
      tokens: 72,
    },
    {
      name: "drops two exchanges, keeping the system prompt and the latest message",
      conv: five,
      budget: 71,
      kept: ["u3"],
      dropped: 4,
      tokens: 36,
    },
    {
      name: "drops a leading assistant greeting on its own",
      conv: { system, turns: [a("a0"), u("u1"), a("a1"), u("u2")] },
      budget: 89,
      kept: ["u1", "a1", "u2"],
      dropped: 1,
      tokens: 72,
    },
    {
      name: "drops a user message without an answer on its own",
      conv: { system, turns: [u("u1"), u("u2"), a("a2"), u("u3")] },
      budget: 89,
      kept: ["u2", "a2", "u3"],
      dropped: 1,
      tokens: 72,
    },
    {
      name: "does not count a fluff-only system prompt",
      conv: { system: "You are a helpful assistant.", turns: [u("u1"), a("a1"), u("u2")] },
      budget: 62,
      kept: ["u1", "a1", "u2"],
      dropped: 0,
      tokens: 62,
    },
    {
      name: "keeps the last turn even when it is an assistant turn",
      conv: { system: "", turns: [u("u1"), a("a1")] },
      budget: 26,
      kept: ["a1"],
      dropped: 1,
      tokens: 26,
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      const built = buildPrompt(row.conv, row.budget);
      assert.equal(built.droppedTurns, row.dropped);
      assert.equal(built.estimatedTokens, row.tokens);
      const kept = row.conv.turns.filter((turn) =>
        row.kept.some((label) => turn.content === text30(label))
      );
      assert.equal(kept.length, row.kept.length);
      for (const turn of row.conv.turns) {
        assert.equal(
          built.prompt.includes(turn.content),
          kept.includes(turn),
          `${turn.content} in ${JSON.stringify(built.prompt)}`,
        );
      }
      if (row.conv.system && !row.conv.system.startsWith("You are")) {
        assert.ok(built.prompt.startsWith(`${row.conv.system}\n`), built.prompt);
      }
      assert.ok(built.prompt.endsWith(row.conv.turns.at(-1)!.content), built.prompt);
    });
  }

  await t.step("a transcript trimmed to one turn is sent without a User: label", () => {
    assert.equal(buildPrompt(five, 36).prompt, `${system}\n${text30("u3")}`);
  });

  await t.step("a trimmed transcript starts with a User: line", () => {
    assert.equal(
      buildPrompt(five, 72).prompt,
      `${system}\nUser: ${text30("u2")}\nAssistant: ${text30("a2")}\nUser: ${text30("u3")}`,
    );
  });
});

Deno.test("buildPrompt() throws ContextLengthError when even the latest message does not fit", async (t) => {
  const rows: { name: string; conv: CachedConversation; budget: number }[] = [
    { name: "a single message one token over", conv: { system: "", turns: [u("u1")] }, budget: 25 },
    {
      name: "the system prompt and the latest message, after dropping all history",
      conv: { system: text30("SYSTEM"), turns: [u("u1"), a("a1"), u("u2")] },
      budget: 35,
    },
    {
      name: "a long CJK message",
      conv: { system: "", turns: [{ role: "user", content: "漢".repeat(2000) }] },
      budget: 2048,
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      assert.throws(
        () => buildPrompt(row.conv, row.budget),
        (err: unknown) => {
          assert.ok(err instanceof ContextLengthError);
          assert.equal(httpError(err).status, 400);
          assert.equal(err.code, "context_length_exceeded");
          assert.equal(httpError(err).type, "invalid_request_error");
          assert.equal(err.param, "messages");
          assert.match(err.message, new RegExp(`about ${row.budget} prompt tokens`));
          return true;
        },
      );
    });
  }
});

Deno.test("buildPrompt() gives each image a placeholder and trims to the image limit", async (t) => {
  const look = (content: string, ...images: string[]): Turn => ({ role: "user", content, images });
  const conv: CachedConversation = {
    system: "Say <image> literally.",
    turns: [look("One?", "#A"), a("a1"), look("Two <image>?", "#B", "#C")],
    imageTokens: 10,
  };
  await t.step("placeholders in front of their turn; every other text escaped", () => {
    assert.equal(
      buildPrompt(conv, BUDGET_4096).prompt,
      `Say < image> literally.\nUser: <image>\nOne?\nAssistant: ${text30("a1")}\n` +
        "User: <image><image>\nTwo < image>?",
    );
  });
  await t.step("over maxImages: the oldest exchange goes with its image", () => {
    const built = buildPrompt(conv, BUDGET_4096, { maxImages: 2 });
    assert.equal(built.droppedTurns, 2);
    assert.equal(built.prompt, "Say < image> literally.\n<image><image>\nTwo < image>?");
  });
  await t.step("without images nothing is escaped", () => {
    const text = { system: "", turns: [{ role: "user" as const, content: "<image>" }] };
    assert.equal(buildPrompt(text, BUDGET_4096).prompt, "<image>");
  });
});

/**
 * Tests for src/engine/kv_cache.ts: how a request's messages are normalised, the incremental vs
 * reset decision for each rule (reference A.11, with the stricter rules of this server: the
 * system prompt and assistant replies are compared too, tool results continue a cached tool exchange), what the
 * cache holds after a clean run, and a scripted 10-turn chat built the way Open WebUI sends it.
 */

import assert from "node:assert/strict";
import {
  afterCleanRun,
  type CachedConversation,
  decideKv,
  type ImageKeys,
  type KvDecision,
  normaliseConversation,
  sameConversation,
} from "../../src/engine/kv_cache.ts";
import type { ChatMessage } from "../../src/chat/messages.ts";

const sys = (content: string): ChatMessage => ({ role: "system", content });
const user = (content: string): ChatMessage => ({ role: "user", content });
const asst = (content: string): ChatMessage => ({ role: "assistant", content });
const tool = (content: string): ChatMessage => ({ role: "tool", content });

const RESET: KvDecision = { mode: "reset" };
const incremental = (message: string, role: "user" | "tool" = "user"): KvDecision => ({
  mode: "incremental",
  message,
  role,
});

/** Open WebUI's follow-up (fixtures/openwebui/chat_followup.json): the reply comes back with its think block. */
const FOLLOWUP: ChatMessage[] = [
  sys("You are a helpful assistant. Answer concisely."),
  user("What is the capital of France?"),
  asst(
    "<think>\nThe user asks for the capital of France.\n</think>\n\nThe capital of France is Paris.",
  ),
  user("And how many people live there?"),
];

/** What the cache holds after this server answered the fixture's first question. */
const AFTER_FIRST_TURN: CachedConversation = {
  system: "You are a helpful assistant. Answer concisely.",
  turns: [
    { role: "user", content: "What is the capital of France?" },
    { role: "assistant", content: "The capital of France is Paris." },
  ],
};

Deno.test("normaliseConversation() builds the form the cache is compared in", async (t) => {
  const rows: { name: string; messages: ChatMessage[]; want: CachedConversation }[] = [
    { name: "no messages", messages: [], want: { system: "", turns: [] } },
    {
      name: "strips the think block of assistant history (Open WebUI follow-up)",
      messages: FOLLOWUP,
      want: {
        system: AFTER_FIRST_TURN.system,
        turns: [...AFTER_FIRST_TURN.turns, {
          role: "user",
          content: "And how many people live there?",
        }],
      },
    },
    {
      name: "joins several system messages with a blank line, wherever they are",
      messages: [sys(" S1 "), user("q"), sys("S2\n")],
      want: { system: "S1\n\nS2", turns: [{ role: "user", content: "q" }] },
    },
    {
      name: "ignores whitespace-only system messages",
      messages: [sys("  \n"), sys("S"), sys("")],
      want: { system: "S", turns: [] },
    },
    {
      name: "trims user and tool content",
      messages: [user("  q\n"), tool('\n{"ok":true} ')],
      want: {
        system: "",
        turns: [{ role: "user", content: "q" }, { role: "tool", content: '{"ok":true}' }],
      },
    },
    {
      name: "drops empty assistant replies and ones that were only a think block",
      messages: [user("q1"), asst(""), user("q2"), asst("<think>hmm</think>\n"), user("q3")],
      want: {
        system: "",
        turns: [
          { role: "user", content: "q1" },
          { role: "user", content: "q2" },
          { role: "user", content: "q3" },
        ],
      },
    },
    {
      name: "keeps an empty user message as a turn",
      messages: [user(""), user("q")],
      want: {
        system: "",
        turns: [{ role: "user", content: "" }, { role: "user", content: "q" }],
      },
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      assert.deepEqual(normaliseConversation(row.messages), row.want);
    });
  }
});

Deno.test("decideKv() decides between incremental and reset", async (t) => {
  const q1 = user("What is the capital of France?");
  const a1 = asst("The capital of France is Paris.");
  const q2 = user("And how many people live there?");
  const S = sys("You are a helpful assistant. Answer concisely.");
  const rows: {
    name: string;
    cached: CachedConversation | null;
    request: ChatMessage[];
    want: KvDecision;
  }[] = [
    {
      name: "is incremental for the next turn of the cached chat, sending only the new message",
      cached: AFTER_FIRST_TURN,
      request: [S, q1, a1, q2],
      want: incremental("And how many people live there?"),
    },
    {
      name: "is incremental when the assistant history carries a <think> block (Open WebUI)",
      cached: AFTER_FIRST_TURN,
      request: FOLLOWUP,
      want: incremental("And how many people live there?"),
    },
    {
      name: "is incremental when only the reasoning of an earlier reply differs",
      cached: AFTER_FIRST_TURN,
      request: [S, q1, asst("<think>other thoughts</think>The capital of France is Paris."), q2],
      want: incremental("And how many people live there?"),
    },
    {
      name: "is incremental when messages differ only in surrounding whitespace",
      cached: AFTER_FIRST_TURN,
      request: [
        sys("\nYou are a helpful assistant. Answer concisely.  "),
        user(" What is the capital of France?\n"),
        asst("The capital of France is Paris.\n\n"),
        user("  And how many people live there?\n"),
      ],
      want: incremental("And how many people live there?"),
    },
    {
      name: "is incremental when the cache holds several system messages joined",
      cached: { system: "S1\n\nS2", turns: [{ role: "user", content: "q1" }] },
      request: [sys("S1"), sys("S2"), user("q1"), user("q2")],
      want: incremental("q2"),
    },
    {
      name: "is incremental after a clean reply that was only reasoning (nothing visible cached)",
      cached: afterCleanRun(normaliseConversation([user("q1")]), "<think>only this</think>"),
      request: [user("q1"), asst("<think>only this</think>"), user("q2")],
      want: incremental("q2"),
    },
    {
      name: "resets when nothing is cached (first request after a load)",
      cached: null,
      request: [S, q1],
      want: RESET,
    },
    {
      name: "resets on regenerate (same history, last user message re-sent)",
      cached: {
        system: AFTER_FIRST_TURN.system,
        turns: [
          ...AFTER_FIRST_TURN.turns,
          { role: "user", content: "And how many people live there?" },
          { role: "assistant", content: "About 2.1 million." },
        ],
      },
      request: [S, q1, a1, q2],
      want: RESET,
    },
    {
      name: "resets on regenerate of the very first answer",
      cached: AFTER_FIRST_TURN,
      request: [S, q1],
      want: RESET,
    },
    {
      name: "resets when an earlier user message was edited",
      cached: AFTER_FIRST_TURN,
      request: [S, user("What is the capital of Italy?"), a1, q2],
      want: RESET,
    },
    {
      name: "resets when an earlier assistant reply was edited",
      cached: AFTER_FIRST_TURN,
      request: [S, q1, asst("Paris."), q2],
      want: RESET,
    },
    {
      name: "resets when an earlier assistant reply is missing from the history",
      cached: AFTER_FIRST_TURN,
      request: [S, q1, q2],
      want: RESET,
    },
    {
      name: "resets when the system prompt was edited",
      cached: AFTER_FIRST_TURN,
      request: [sys("Answer in French."), q1, a1, q2],
      want: RESET,
    },
    {
      name: "resets when the system prompt was removed",
      cached: AFTER_FIRST_TURN,
      request: [q1, a1, q2],
      want: RESET,
    },
    {
      name: "resets when a system prompt was added",
      cached: { system: "", turns: AFTER_FIRST_TURN.turns },
      request: [S, q1, a1, q2],
      want: RESET,
    },
    {
      name: "resets for a different chat",
      cached: AFTER_FIRST_TURN,
      request: [S, user("Write a haiku about rain.")],
      want: RESET,
    },
    {
      name: "resets when two new user messages follow the cached history",
      cached: AFTER_FIRST_TURN,
      request: [S, q1, a1, user("Hello?"), q2],
      want: RESET,
    },
    {
      name: "continues after a tool exchange that is in the cache",
      cached: {
        system: "",
        turns: [
          { role: "user", content: "Weather in Paris?" },
          { role: "tool", content: "11C" },
          { role: "assistant", content: "It is 11C." },
        ],
      },
      request: [user("Weather in Paris?"), tool("11C"), asst("It is 11C."), user("And Rome?")],
      want: incremental("And Rome?"),
    },
    {
      name: "sends new tool results with the tool role",
      cached: {
        system: "",
        turns: [
          { role: "user", content: "Weather in Paris and Rome?" },
          {
            role: "assistant",
            content: '<tool_call>{"name":"w","arguments":{"c":"Paris"}}</tool_call>',
          },
        ],
      },
      request: [
        user("Weather in Paris and Rome?"),
        {
          role: "assistant",
          content: "",
          toolCalls: [{ id: "call_1", name: "w", arguments: '{ "c": "Paris" }' }],
        },
        tool("11C"),
        tool("15C"),
      ],
      want: incremental("11C\n15C", "tool"),
    },
    {
      name: "resets when a user message and tool results are mixed in the new part",
      cached: { system: "", turns: [{ role: "user", content: "q" }] },
      request: [user("q"), tool("r"), user("x")],
      want: RESET,
    },
    {
      name: "resets when the last message is from the assistant",
      cached: { system: "", turns: [{ role: "user", content: "q1" }] },
      request: [user("q1"), asst("a1")],
      want: RESET,
    },
    {
      name: "resets for a request without messages",
      cached: AFTER_FIRST_TURN,
      request: [],
      want: RESET,
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      assert.deepEqual(decideKv(row.cached, normaliseConversation(row.request)), row.want);
    });
  }
});

Deno.test("afterCleanRun() records the reply as this server produced it", async (t) => {
  const request = normaliseConversation([sys("S"), user("q1")]);
  const rows: { name: string; reply: string; want: CachedConversation }[] = [
    {
      name: "appends the reply without its think block, trimmed",
      reply: "<think>\nreasoning\n</think>\n\nAnswer.\n",
      want: {
        system: "S",
        turns: [{ role: "user", content: "q1" }, { role: "assistant", content: "Answer." }],
      },
    },
    {
      name: "appends a reply from an implicitly opened think block without the reasoning",
      reply: "reasoning\n</think>\n\nAnswer.",
      want: {
        system: "S",
        turns: [{ role: "user", content: "q1" }, { role: "assistant", content: "Answer." }],
      },
    },
    {
      name: "appends no assistant turn for an empty reply",
      reply: "  \n",
      want: { system: "S", turns: [{ role: "user", content: "q1" }] },
    },
    {
      name: "appends no assistant turn for a reply that was only reasoning",
      reply: "<think>hmm</think>",
      want: { system: "S", turns: [{ role: "user", content: "q1" }] },
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      assert.deepEqual(afterCleanRun(request, row.reply), row.want);
    });
  }
  await t.step("does not modify the request it was given", () => {
    afterCleanRun(request, "Answer.");
    assert.deepEqual(request, { system: "S", turns: [{ role: "user", content: "q1" }] });
  });
});

Deno.test("decideKv() over a scripted 10-turn chat sent the way Open WebUI sends it", async (t) => {
  const system = sys("You are a helpful assistant. Answer concisely.");
  const question = (n: number): string => `Question number ${n}?`;
  /** Raw model output: odd turns think first. */
  const output = (n: number): string =>
    n % 2 === 1 ? `<think>\nLet me think about ${n}.\n</think>\n\nAnswer ${n}.` : `Answer ${n}.`;
  /** What the client sends back as history: the reply with its think block, spacing altered. */
  const echoed = (n: number): string =>
    n % 2 === 1 ? `<think>\nLet me think about ${n}.\n</think>\nAnswer ${n}.\n` : ` Answer ${n}.`;

  const history: ChatMessage[] = [];
  let cache: CachedConversation | null = null;
  for (let n = 1; n <= 10; n++) {
    await t.step(
      `turn ${n} is ${n === 1 ? "a reset" : "incremental with the new message only"}`,
      () => {
        const request = [system, ...history, user(`${question(n)}\n`)];
        const conv = normaliseConversation(request);
        assert.deepEqual(decideKv(cache, conv), n === 1 ? RESET : incremental(question(n)));
        cache = afterCleanRun(conv, output(n));
        history.push(user(question(n)), asst(echoed(n)));
      },
    );
  }

  await t.step("the cache holds the system prompt and all 20 turns without reasoning", () => {
    assert.ok(cache);
    assert.equal(cache.system, "You are a helpful assistant. Answer concisely.");
    assert.equal(cache.turns.length, 20);
    assert.deepEqual(cache.turns.slice(-2), [
      { role: "user", content: question(10) },
      { role: "assistant", content: "Answer 10." },
    ]);
    assert.ok(cache.turns.every((turn) => !turn.content.includes("think")));
  });

  await t.step("turn 11 is incremental", () => {
    const conv = normaliseConversation([system, ...history, user("Question number 11?")]);
    assert.deepEqual(decideKv(cache, conv), incremental("Question number 11?"));
  });

  await t.step("regenerating turn 10 resets", () => {
    const conv = normaliseConversation([system, ...history.slice(0, -1)]);
    assert.equal(conv.turns.at(-1)?.content, question(10));
    assert.deepEqual(decideKv(cache, conv), RESET);
  });

  await t.step("editing the user message of turn 3 resets", () => {
    const edited = history.map((m) =>
      m.content === question(3) ? user("Question number three, edited?") : m
    );
    const conv = normaliseConversation([system, ...edited, user("Question number 11?")]);
    assert.deepEqual(decideKv(cache, conv), RESET);
  });

  await t.step("editing the assistant reply of turn 4 resets", () => {
    const edited = history.map((m) => m.content === echoed(4) ? asst("Answer 4, edited.") : m);
    const conv = normaliseConversation([system, ...edited, user("Question number 11?")]);
    assert.deepEqual(decideKv(cache, conv), RESET);
  });
});

/** Images compared by a digest of their data (here: the data itself), 10 positions each. */
const KEYS: ImageKeys = {
  digest: (i) => `#${i.kind === "base64" ? i.data : i.url}`,
  tokens: 10,
};
const look = (content: string, ...data: string[]): ChatMessage => ({
  role: "user",
  content,
  images: data.map((d) => ({ kind: "base64", data: d })),
});

Deno.test("normaliseConversation() records each user turn's images by digest", async (t) => {
  await t.step("digests in order, and what one image costs", () => {
    assert.deepEqual(normaliseConversation([look(" What? ", "A", "B"), asst("Two.")], KEYS), {
      system: "",
      turns: [
        { role: "user", content: "What?", images: ["#A", "#B"] },
        { role: "assistant", content: "Two." },
      ],
      imageTokens: 10,
    });
  });
  await t.step("no images: the form is unchanged", () => {
    assert.deepEqual(normaliseConversation([user("q")], KEYS), {
      system: "",
      turns: [{ role: "user", content: "q" }],
    });
  });
  await t.step("images without a way to compare them are refused", () => {
    assert.throws(() => normaliseConversation([look("What?", "A")]), /without ImageKeys/);
  });
});

Deno.test("decideKv() compares images: the same picture continues, another one resets", async (t) => {
  const held = afterCleanRun(normaliseConversation([look("What is this?", "A")], KEYS), "A cat.");
  const rows: [string, ChatMessage[], KvDecision][] = [
    [
      "a text follow-up about the same image is incremental, sent as text",
      [look("What is this?", "A"), asst("A cat."), user("What colour is it?")],
      incremental("What colour is it?"),
    ],
    [
      "a follow-up with a new image is incremental, with its placeholder",
      [look("What is this?", "A"), asst("A cat."), look("And this <image>?", "B")],
      incremental("<image>\nAnd this < image>?"),
    ],
    [
      "another image in the earlier turn resets",
      [look("What is this?", "B"), asst("A cat."), user("What colour is it?")],
      RESET,
    ],
    [
      "the earlier image gone resets",
      [user("What is this?"), asst("A cat."), user("What colour is it?")],
      RESET,
    ],
    [
      "an image added to the earlier turn resets",
      [look("What is this?", "A", "B"), asst("A cat."), user("What colour is it?")],
      RESET,
    ],
  ];
  for (const [name, request, want] of rows) {
    await t.step(name, () => {
      assert.deepEqual(decideKv(held, normaliseConversation(request, KEYS)), want);
    });
  }
  await t.step("images in another order reset", () => {
    const two = afterCleanRun(normaliseConversation([look("Compare", "A", "B")], KEYS), "Same.");
    const swapped = normaliseConversation(
      [look("Compare", "B", "A"), asst("Same."), user("?")],
      KEYS,
    );
    assert.deepEqual(decideKv(two, swapped), RESET);
  });
});

Deno.test("afterCleanRun() keeps the turns' images and what one costs", () => {
  const after = afterCleanRun(normaliseConversation([look("What?", "A")], KEYS), "A cat.", 3);
  assert.deepEqual(after, {
    system: "",
    turns: [
      { role: "user", content: "What?", images: ["#A"] },
      { role: "assistant", content: "A cat." },
    ],
    extraTokens: 3,
    imageTokens: 10,
  });
  assert.ok(sameConversation(after, structuredClone(after)));
});

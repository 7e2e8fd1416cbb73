/**
 * Tests for src/rag/pipeline.ts: the Open WebUI web-search fixture end to end (and the same
 * request in the legacy template and in system placement), follow-ups, no results, the
 * budget, and two larger inputs whose before/after sizes are printed.
 */
import assert from "node:assert/strict";
// The fixture lives outside the repository and is read at run time; the tests that replay it
// are ignored when a clone has no `shared/` beside it.
import { HAS_FIXTURES, loadFixture } from "../support/fixtures.ts";
import type { ChatMessage } from "../../src/chat/messages.ts";
import { noResultsNotice } from "../../src/rag/prompt.ts";
import { planRag, ragBudget, type RagPlan } from "../../src/rag/pipeline.ts";
import { MAX_PARAGRAPHS } from "../../src/rag/select.ts";

const OPTS = { contextTokens: 4096, answerTokens: 2048 };
const QUESTION = "How fast can the Orange Pi 5 Plus NPU run Qwen3 1.7B?";
const SHARED_SENTENCE = "The Orange Pi 5 Plus uses the Rockchip RK3588 system on a chip";

const sys = (content: string): ChatMessage => ({ role: "system", content });
const user = (content: string): ChatMessage => ({ role: "user", content });
const asst = (content: string): ChatMessage => ({ role: "assistant", content });

/** A fresh copy of the fixture's messages (only in tests ignored without the fixtures). */
function fixtureMessages(): ChatMessage[] {
  return loadFixture("rag_web_search.json").messages.map((m) => ({
    role: m.role as ChatMessage["role"],
    content: m.content as string,
  }));
}

/** The fixture's RAG user message split into template-before-context, context, question. */
function splitRagMessage(content: string): { task: string; context: string; question: string } {
  const open = content.indexOf("<context>");
  const close = content.indexOf("</context>") + "</context>".length;
  return {
    task: content.slice(0, open),
    context: content.slice(open, close),
    question: content.slice(close).trim(),
  };
}

/** The same request as Open WebUI ≤ 0.5 sent it. */
function toLegacy(messages: ChatMessage[]): ChatMessage[] {
  const { context, question } = splitRagMessage(messages[1].content);
  const legacyContext = context
    .replace(
      /<source id="(\d+)" name="[^"]*">/g,
      "<source><source_id>$1</source_id><source_context>",
    )
    .replaceAll("</source>", "</source_context></source>");
  const task = "### Task:\nRespond to the user query using the provided context, incorporating " +
    "inline citations in the format [source_id] **only when the <source_id> tag is explicitly " +
    "provided** in the context.\n\n### Guidelines:\n- If you don't know the answer, clearly " +
    "state that.\n\n";
  return [
    messages[0],
    user(`${task}${legacyContext}\n\n<user_query>\n${question}\n</user_query>\n${question}`),
  ];
}

/** The same request with "RAG in system prompt": template appended to the system message. */
function toSystemPlacement(messages: ChatMessage[]): ChatMessage[] {
  const { task, context, question } = splitRagMessage(messages[1].content);
  return [sys(`${messages[0].content}\n${task}${context}\n`), user(question)];
}

function asRag(plan: RagPlan): Extract<RagPlan, { kind: "rag" }> {
  assert.equal(plan.kind, "rag", JSON.stringify(plan));
  return plan as Extract<RagPlan, { kind: "rag" }>;
}

Deno.test({
  name: "planRag() on the Open WebUI web-search fixture",
  ignore: !HAS_FIXTURES,
  fn: async (t) => {
    const messages = fixtureMessages();
    const plan = asRag(planRag(messages, OPTS));
    const kept = plan.pack.kept;
    const before = messages[1].content.length;
    console.log(
      `fixture rag_web_search.json: prompt chars ${before} → ${plan.prompt.length}, ` +
        `sources kept ${plan.sourceIds.join(",")} of 1,2,3`,
    );

    await t.step("planRag() keeps sources 1 and 2; 3 only repeats a sentence of 1", () => {
      assert.deepEqual(plan.sourceIds, ["1", "2"]);
      assert.equal(plan.pack.droppedDuplicates, 1);
    });

    await t.step("planRag() keeps the shared sentence exactly once, under source 1", () => {
      const holders = kept.filter((k) => k.text.includes(SHARED_SENTENCE));
      assert.deepEqual(holders.map((k) => k.sourceId), ["1"]);
      assert.equal(plan.prompt.split(SHARED_SENTENCE).length, 2);
    });

    await t.step("planRag() keeps the answer: 14 tokens per second, under source 2", () => {
      const fact = kept.find((k) => k.text.includes("14 tokens per second"));
      assert.equal(fact?.sourceId, "2");
    });

    for (
      const junk of [
        "Jump to content",
        "Main menu",
        "Create account",
        "Accept all cookies",
        "Subscribe to our newsletter",
        "Home | News",
        "Privacy policy",
        "Share this article",
        "Related posts",
        "Advertisement",
        "Log in to reply",
        "Powered by Discourse",
        "Disclaimers",
        "### Task",
        "<source",
      ]
    ) {
      await t.step(`planRag() drops "${junk}"`, () => {
        assert.ok(!plan.prompt.includes(junk), plan.prompt);
      });
    }

    await t.step("planRag() labels the paragraphs [1] and [2] and asks for [N] citations", () => {
      assert.ok(plan.prompt.startsWith("[1] Orange Pi is a series"));
      assert.ok(plan.prompt.includes("\n\n[2] The RK3588 NPU can run"));
      assert.ok(!plan.prompt.includes("[3]"));
      assert.match(plan.prompt, /by its number in brackets, like \[1\]\.$/);
      assert.ok(plan.prompt.includes(`answer this question: ${QUESTION}\n`));
    });

    await t.step(
      "planRag() returns the question, no thinking under 8192 tokens, the context",
      () => {
        assert.equal(plan.question, QUESTION);
        assert.equal(plan.thinkingAllowed, false);
        assert.equal(plan.cacheContext, kept.map((k) => `[${k.sourceId}] ${k.text}`).join("\n\n"));
      },
    );

    await t.step("planRag() allows thinking from 8192 tokens, with the abstention sentence", () => {
      const big = asRag(planRag(messages, { contextTokens: 8192, answerTokens: 2048 }));
      assert.equal(big.thinkingAllowed, true);
      assert.match(big.prompt, /say you don't know\.$/);
      assert.deepEqual(big.pack.kept, kept);
    });

    await t.step("planRag() gives the same paragraphs for the legacy template", () => {
      assert.deepEqual(asRag(planRag(toLegacy(messages), OPTS)).pack.kept, kept);
    });

    await t.step("planRag() gives the same paragraphs for system placement", () => {
      const sysPlan = asRag(planRag(toSystemPlacement(messages), OPTS));
      assert.deepEqual(sysPlan.pack.kept, kept);
      assert.equal(sysPlan.prompt, plan.prompt);
    });
  },
});

Deno.test({
  name: "planRag() drops the context of a follow-up, keeping everything else",
  ignore: !HAS_FIXTURES,
  fn: async (t) => {
    const messages = fixtureMessages();
    const { task, context } = splitRagMessage(messages[1].content);
    const history = [sys("You are a helpful assistant."), user("Hi"), asst("Hello! Ask away.")];

    await t.step("planRag() → followup for 'thanks': the user message becomes the question", () => {
      const plan = planRag([...history, user(`${task}${context}\nthanks`)], OPTS);
      assert.equal(plan.kind, "followup");
      if (plan.kind !== "followup") return;
      assert.match(plan.reason, /filler/);
      assert.deepEqual(plan.messages, [...history, user("thanks")]);
    });

    await t.step(
      "planRag() → followup with system placement keeps the admin's instructions",
      () => {
        const plan = planRag(
          [sys(`Answer in English.\n${task}${context}\n`), user("Hi"), asst("Hello."), user("ok")],
          OPTS,
        );
        assert.equal(plan.kind, "followup");
        if (plan.kind !== "followup") return;
        assert.deepEqual(plan.messages, [
          sys("Answer in English."),
          user("Hi"),
          asst("Hello."),
          user("ok"),
        ]);
      },
    );

    await t.step("planRag() → followup when no content word is in the sources", () => {
      const plan = planRag([...history, user(`${task}${context}\nAnd in Berlin?`)], OPTS);
      assert.equal(plan.kind, "followup");
    });

    await t.step("planRag() keeps the context for 'summarize the article'", () => {
      const plan = planRag([...history, user(`${task}${context}\nsummarize the article`)], OPTS);
      assert.equal(plan.kind, "rag");
    });
  },
});

const JUNK_SOURCE =
  "Home\nNews\nSport\nWeather\nContact Us\n\nWe use cookies. Accept all cookies\n" +
  "Sign in | Register\nSubscribe to our newsletter\nFollow us on Twitter\n" +
  "Copyright 2025 Example Media. All rights reserved.";

function junkContext(count: number): string {
  const sources = Array.from(
    { length: count },
    (_, i) => `<source id="${i + 1}" name="https://site${i + 1}.example/">${JUNK_SOURCE}</source>`,
  );
  return `<context>\n${sources.join("\n")}\n</context>\n`;
}

Deno.test("planRag() tells the model when the search found nothing useful", async (t) => {
  const notice = noResultsNotice();

  await t.step("planRag() → no_results merges the notice into the system message", () => {
    const plan = planRag([sys("Be brief."), user(`${junkContext(2)}${QUESTION}`)], OPTS);
    assert.equal(plan.kind, "no_results");
    if (plan.kind !== "no_results") return;
    assert.equal(plan.pack.floorTriggered, true);
    assert.deepEqual(plan.messages, [sys(`Be brief.\n\n${notice}`), user(QUESTION)]);
  });

  await t.step("planRag() → no_results adds a first system message when there is none", () => {
    const plan = planRag([user(`${junkContext(1)}${QUESTION}`)], OPTS);
    assert.equal(plan.kind, "no_results");
    if (plan.kind !== "no_results") return;
    assert.deepEqual(plan.messages, [sys(notice), user(QUESTION)]);
  });

  await t.step("planRag() → followup, not no_results, for junk unrelated to a follow-up", () => {
    // After an assistant turn, a question sharing no word with the sources is a follow-up.
    const plan = planRag([user("Hi"), asst("Hello."), user(`${junkContext(1)}${QUESTION}`)], OPTS);
    assert.equal(plan.kind, "followup");
  });

  await t.step("planRag() → no_results in system placement keeps the admin's instructions", () => {
    const plan = planRag([sys(`Be brief.\n${junkContext(1)}`), user(QUESTION)], OPTS);
    assert.equal(plan.kind, "no_results");
    if (plan.kind !== "no_results") return;
    assert.deepEqual(plan.messages, [sys(`Be brief.\n\n${notice}`), user(QUESTION)]);
  });

  await t.step("planRag() → no_results drops a system message that held only the context", () => {
    const plan = planRag([sys(junkContext(1)), user(QUESTION)], OPTS);
    assert.equal(plan.kind, "no_results");
    if (plan.kind !== "no_results") return;
    assert.deepEqual(plan.messages, [sys(notice), user(QUESTION)]);
  });
});

Deno.test("planRag() → none", async (t) => {
  const rows: [string, ChatMessage[]][] = [
    ["without markers", [sys("Be brief."), user(QUESTION)]],
    ["with markers but no question", [user(`${junkContext(1)}   `)]],
    ["with system markers and no user message", [sys(`S\n${junkContext(1)}`)]],
  ];
  for (const [name, messages] of rows) {
    await t.step(`planRag() → none ${name}`, () => {
      assert.deepEqual(planRag(messages, OPTS), { kind: "none" });
    });
  }
});

Deno.test("ragBudget() leaves room for the answer at 3 characters per token", async (t) => {
  const rows: [string, number, number, string, number][] = [
    ["4096 context, 2048 answer", 4096, 2048, "", 2048 * 3 - 200],
    ["the question's length is taken off", 4096, 2048, "x".repeat(100), 2048 * 3 - 300],
    ["16k context, 1024 answer", 16384, 1024, "q", 15360 * 3 - 201],
    ["never under 500", 4096, 4000, "q", 500],
    ["never under 500, even with no room at all", 2048, 4096, "q", 500],
  ];
  for (const [name, contextTokens, answerTokens, question, expected] of rows) {
    await t.step(`ragBudget() → ${expected}: ${name}`, () => {
      assert.equal(ragBudget({ contextTokens, answerTokens }, question), expected);
    });
  }
});

Deno.test({
  name: "planRag() gives a new cache context when the web results change",
  ignore: !HAS_FIXTURES,
  fn: () => {
    const messages = fixtureMessages();
    const changed = messages.map((m) => ({
      ...m,
      content: m.content.replace("14 tokens", "15 tokens"),
    }));
    const a = asRag(planRag(messages, OPTS));
    const b = asRag(planRag(changed, OPTS));
    assert.equal(a.question, b.question);
    assert.notEqual(a.cacheContext, b.cacheContext);
  },
});

// ---- larger inputs ---------------------------------------------------------------------------

const POWER_QUESTION = "How much power does the RK3588 NPU draw when running Qwen3 4B?";

/** One highly relevant paragraph per source. */
const RELEVANT = [
  "In our tests the RK3588 NPU drew about 2.1 W above idle while running Qwen3 4B in w8a8, and " +
  "the whole Orange Pi 5 Plus board peaked at 9.8 W from the wall.",
  "Running Qwen3 4B on the NPU raised the power draw of the Rock 5B from 4.2 W at idle to 8.9 W, " +
  "with the NPU cores themselves accounting for roughly 2 W.",
  "A forum member measured 7.5 W for the complete RK3588 board during Qwen3 4B generation, " +
  "compared with 11 W when the same model ran on the Cortex-A76 cores.",
  "The RK3588 datasheet lists a typical NPU power of 2.5 W at 6 TOPS, which matches the draw we " +
  "saw while the NPU was running Qwen3 4B at 5 tokens per second.",
  "Energy per token is the better metric: at 8 W total and 5.2 tokens per second, running Qwen3 " +
  "4B costs about 1.5 joules per token on the RK3588 NPU.",
  "With a USB-C power meter we saw the board draw 3.9 W idle and 8.1 W while the RK3588 NPU was " +
  "running Qwen3 4B, so the NPU workload adds about 4 W.",
  "Thermals follow the power draw: after ten minutes of running Qwen3 4B the RK3588 reached 68 C " +
  "with a small heatsink and no fan, without throttling the NPU.",
  "Compared with a Raspberry Pi 5 running Qwen3 4B on its CPU at 1.1 tokens per second and 7 W, " +
  "the RK3588 NPU is about four times more efficient per token.",
];

/** Ordinary prose of lower relevance, one per source. */
const GENERIC = [
  "Our lab has covered single-board computers since 2014, and every board in our reviews was " +
  "bought with our own money and tested for at least two weeks.",
  "The Rock 5B is sold in versions with 4, 8, 16 and 32 GB of memory, and the larger versions " +
  "are often out of stock at the official distributors.",
  "This thread started as a question about heatsinks and turned into a long discussion of " +
  "power supplies, cables and the quality of cheap USB-C chargers.",
  "Rockchip publishes its datasheets only to partners, so most public numbers come from board " +
  "makers and from measurements by the community.",
  "We measured everything with the same firmware image and the same kernel, version 6.1, to " +
  "keep the results comparable between the boards.",
  "The meter we used is accurate to about 1 % according to its maker, which is good enough for " +
  "comparing boards but not for absolute claims.",
  "Most cases sold for these boards are made of aluminium and double as a heatsink, which is " +
  "worth the extra cost if the board runs loaded for hours.",
  "The Raspberry Pi 5 remains the easiest board to start with, thanks to its documentation and " +
  "a large community that answers beginner questions quickly.",
];

/** A press paragraph copied by every site; sources 5–8 carry a lightly edited copy. */
const PRESS = "Rockchip announced the RK3588 in 2021 as its flagship system on a chip, with an " +
  "8-core CPU, a Mali-G610 GPU and a 6 TOPS neural processing unit for AI workloads.";
const PRESS_EDITED = PRESS.replace("neural processing unit", "NPU").replace(
  "announced",
  "unveiled",
);

function largeSource(i: number): string {
  return [
    "Skip to main content\nHome\nNews\nReviews\nForums\nContact",
    "Accept all cookies to continue. Manage preferences",
    RELEVANT[i],
    GENERIC[i],
    i < 4 ? PRESS : PRESS_EDITED,
    "Share this article on Facebook\nRelated articles\nTrending now\nNewsletter",
    `Copyright ${
      2018 + i
    } Example Media Group. All rights reserved.\nPrivacy policy | Terms of use`,
  ].join("\n\n");
}

function ragMessage(context: string, question: string): ChatMessage {
  return user(
    "### Task:\nRespond to the user query using the provided context, incorporating inline " +
      "citations in the format [id].\n\n" + context + question,
  );
}

Deno.test("planRag() on larger inputs", async (t) => {
  const sources = RELEVANT.map((_, i) =>
    `<source id="${i + 1}" name="https://site${i + 1}.example/rk3588">${largeSource(i)}</source>`
  );
  const large = ragMessage(`<context>\n${sources.join("\n")}\n</context>\n`, POWER_QUESTION);
  const junk = ragMessage(junkContext(5), POWER_QUESTION);

  await t.step("planRag() keeps each source's relevant paragraph under its own id", () => {
    const plan = asRag(planRag([sys("Be brief."), large], OPTS));
    console.log(
      `large (8 sources): prompt chars ${large.content.length} → ${plan.prompt.length}, ` +
        `sources kept ${plan.sourceIds.join(",")} of 1-8, ` +
        `${plan.pack.kept.length} paragraphs, ${plan.pack.droppedDuplicates} duplicates dropped`,
    );
    for (const [i, text] of RELEVANT.entries()) {
      const found = plan.pack.kept.find((k) => k.text === text);
      assert.equal(found?.sourceId, String(i + 1), text);
    }
    assert.deepEqual(plan.sourceIds, ["1", "2", "3", "4", "5", "6", "7", "8"]);
    assert.ok(plan.pack.kept.length <= MAX_PARAGRAPHS);
    assert.ok(plan.prompt.split("flagship system on a chip").length <= 2);
    for (const junkText of ["Skip to main", "Accept all", "Share this", "Copyright", "Privacy"]) {
      assert.ok(!plan.prompt.includes(junkText), junkText);
    }
    assert.ok(plan.prompt.length < large.content.length / 2);
  });

  await t.step("planRag() keeps nothing from an input of junk only", () => {
    const plan = planRag([sys("Be brief."), junk], OPTS);
    assert.equal(plan.kind, "no_results");
    if (plan.kind !== "no_results") return;
    const after = plan.messages.reduce((n, m) => n + m.content.length, 0);
    console.log(
      `junk only (5 sources): prompt chars ${junk.content.length} → ${after} ` +
        `(no_results: question + notice), sources kept none of 1-5, ` +
        `best score ${plan.pack.bestScore}`,
    );
    assert.equal(plan.pack.floorTriggered, true);
    assert.deepEqual(plan.messages.at(-1), user(POWER_QUESTION));
  });
});

/**
 * planTurn(): request + model + settings → the turn, as tables: thinking, sampling, task kind,
 * RAG, tools, prompt and what the cache must hold.
 */
import assert from "node:assert/strict";
import type { ChatMessage } from "../../src/chat/messages.ts";
import { type NpuTurnPlan, type PlanSettings, planTurn } from "../../src/engine/plan.ts";
import type { ChatRequest } from "../../src/engine/types.ts";
import { ContextLengthError, InvalidRequestError } from "../../src/errors.ts";
import { parseTaskModes } from "../../src/tasks/settings.ts";
import { fakeEntry } from "../support/fake_npu.ts";

const SETTINGS: PlanSettings = {
  perRunSampling: false,
  taskModes: parseTaskModes(""),
  taskMaxTokens: 64,
};

function req(messages: ChatMessage[], over: Partial<ChatRequest> = {}): ChatRequest {
  return { requestId: "r", model: "m", messages, stop: [], sampling: {}, ...over };
}

function npuPlan(
  r: ChatRequest,
  entry = fakeEntry("m"),
  settings = SETTINGS,
): NpuTurnPlan {
  const plan = planTurn(r, entry, settings);
  assert.notEqual(plan.kind, "replay");
  return plan as NpuTurnPlan;
}

const user = (content: string): ChatMessage => ({ role: "user", content });
const thinker = fakeEntry("qwen3", { capabilities: ["thinking"] });

Deno.test("planTurn() decides thinking from capability, request and soft switches", async (t) => {
  const cases: [string, ChatMessage[], boolean | undefined, boolean, string][] = [
    ["capable model, default", [user("hi")], undefined, true, "hi"],
    ["capable, request off", [user("hi")], false, false, "hi"],
    ["soft /no_think wins and is removed", [user("hi /no_think")], true, false, "hi"],
    ["soft /think wins over request", [user("hi /think")], false, true, "hi"],
    [
      "agent system prompt turns it off",
      [
        { role: "system", content: "You are the smart home manager of Home Assistant." },
        user("lights on"),
      ],
      undefined,
      false,
      "lights on",
    ],
  ];
  for (const [name, messages, requested, expected, sent] of cases) {
    await t.step(name, () => {
      const plan = npuPlan(req(messages, { enableThinking: requested }), thinker);
      assert.equal(plan.enableThinking, expected);
      assert.ok(plan.coldPrompt.endsWith(sent));
    });
  }
  await t.step("a model without the capability never thinks", () => {
    assert.equal(npuPlan(req([user("hi /think")])).enableThinking, false);
  });
});

Deno.test("planTurn() merges sampling per run, or reports what the runtime cannot apply", () => {
  const r = req([user("hi")], { sampling: { temperature: 0.2, top_k: 40 } });
  const atLoad = npuPlan(r);
  assert.equal(atLoad.sampling, undefined);
  // top_k 40 equals the profile default: only the temperature differs.
  assert.deepEqual(atLoad.ignoredParams, ["temperature"]);
  const perRun = npuPlan(r, fakeEntry("m"), { ...SETTINGS, perRunSampling: true });
  assert.equal(perRun.sampling?.temperature, 0.2);
  assert.deepEqual(perRun.ignoredParams, []);
});

Deno.test("planTurn() caps max tokens by the model and reserves room for the answer", () => {
  const entry = fakeEntry("m", { contextLength: 1000, maxNewTokens: 300 });
  assert.equal(npuPlan(req([user("hi")], { maxTokens: 5000 }), entry).maxTokens, 300);
  assert.equal(npuPlan(req([user("hi")]), entry).budget, 1000 - 300);
  assert.equal(npuPlan(req([user("hi")], { maxTokens: 100 }), entry).budget, 900);
});

Deno.test("planTurn() answers shortcut tasks without the NPU and runs model tasks outside the chat", () => {
  const title = user(
    "### Task:\nGenerate a concise, 3-5 word title with an emoji summarizing the chat history.\n" +
      '### Output:\nJSON format: { "title": "your concise title here" }\n' +
      "<chat_history>\nUSER: How do I bake bread?\n</chat_history>",
  );
  const replay = planTurn(req([title]), fakeEntry("m"), SETTINGS);
  assert.equal(replay.kind, "replay");
  assert.match(replay.kind === "replay" ? replay.content : "", /"title"/);

  const modes = { ...SETTINGS, taskModes: parseTaskModes("title=model") };
  const task = npuPlan(req([title]), fakeEntry("m"), modes);
  assert.equal(task.kind, "task");
  assert.equal(task.task, "title");
  assert.equal(task.enableThinking, false);
  assert.equal(task.maxTokens, 64);
  assert.equal(task.coldHoldsConversation, false, "a task never becomes part of the chat");
  assert.equal(task.rewrite?.('x {"title": "Bread 🍞"} y'), '{"title":"Bread 🍞"}');
});

Deno.test("planTurn() turns retrieved context into a RAG turn with a cold prompt that keeps the history", () => {
  const context = "### Task:\nRespond to the user query using the provided context.\n" +
    '<context>\n<source id="1" name="https://example.org/npu">The RK3588 NPU delivers 6 TOPS ' +
    "across three cores and supports INT8 and INT4 quantised models.</source>\n</context>\n" +
    "<user_query>\nHow many TOPS does the RK3588 NPU have?\n</user_query>";
  const messages: ChatMessage[] = [
    user("I am choosing a board."),
    { role: "assistant", content: "Which use?" },
    user(context),
  ];
  const plan = npuPlan(req(messages));
  assert.equal(plan.kind, "rag");
  assert.ok(plan.retrieved);
  assert.match(plan.retrieved.prompt, /6 TOPS/);
  assert.match(plan.coldPrompt, /I am choosing a board\./, "recent turns in the cold prompt");
  assert.equal(plan.coldHoldsConversation, false);
  assert.equal(plan.conversation.turns.at(-1)?.content, "How many TOPS does the RK3588 NPU have?");
  assert.equal(plan.tools, null);
});

Deno.test("planTurn() sets function tools unless refused, disabled or not offered", async (t) => {
  const tools = [{ name: "get_time", parameters: { type: "object" } }];
  const sys: ChatMessage = { role: "system", content: "Be exact." };
  await t.step("offered: the tools carry the system prompt, the prompt does not", () => {
    const plan = npuPlan(req([sys, user("time?")], { tools }));
    assert.equal(plan.toolCalls, true);
    assert.equal(plan.tools?.system, "Be exact.");
    assert.match(plan.tools?.json ?? "", /"type":"function"/);
    assert.equal(plan.coldPrompt, "time?");
  });
  await t.step("tool_choice none", () => {
    const plan = npuPlan(req([user("time?")], { tools, toolChoice: "none" }));
    assert.equal(plan.tools, null);
    assert.equal(plan.toolCalls, false);
  });
  await t.step("a model with tools disabled reports them ignored", () => {
    const plan = npuPlan(req([user("time?")], { tools }), fakeEntry("m", { disableTools: true }));
    assert.equal(plan.tools, null);
    assert.deepEqual(plan.ignoredParams, ["tools"]);
  });
});

Deno.test("planTurn() refuses what cannot run", async (t) => {
  await t.step("the last message is the assistant's", () => {
    assert.throws(
      () =>
        planTurn(req([user("a"), { role: "assistant", content: "b" }]), fakeEntry("m"), SETTINGS),
      InvalidRequestError,
    );
  });
  await t.step("the latest message alone exceeds the context", () => {
    const entry = fakeEntry("m", { contextLength: 100, maxNewTokens: 10 });
    assert.throws(
      () => planTurn(req([user("x".repeat(2000))]), entry, SETTINGS),
      ContextLengthError,
    );
  });
  await t.step("NUL bytes never reach the runtime", () => {
    assert.equal(npuPlan(req([user("a\0b")])).coldPrompt, "ab");
  });
});

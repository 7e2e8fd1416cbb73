/**
 * planTurn(): request + model + settings → the turn, as tables: thinking, sampling, task kind,
 * RAG, tools, prompt, images and what the cache must hold.
 */
import assert from "node:assert/strict";
import type { ChatMessage, ImageInput } from "../../src/chat/messages.ts";
import { type NpuTurnPlan, type PlanSettings, planTurn } from "../../src/engine/plan.ts";
import type { ChatRequest } from "../../src/engine/types.ts";
import { ContextLengthError, InvalidRequestError } from "../../src/errors.ts";
import type { ModelEntry } from "../../src/models/registry.ts";
import { resolveVisionModel } from "../../src/models/vision_model.ts";
import { parseTaskModes } from "../../src/tasks/settings.ts";
import {
  ImageTooLargeError,
  InvalidImageError,
  VisionUnsupportedError,
} from "../../src/vision/errors.ts";
import { DEFAULT_VISION_SETTINGS, type VisionSettings } from "../../src/vision/settings.ts";
import { fakeEntry } from "../support/fake_npu.ts";
import { makePng } from "../support/images.ts";
import { httpError } from "../../src/http/errors.ts";

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

/** A vision model whose images are budgeted at 16 tokens each. */
const vl = (over: Partial<ModelEntry> = {}): ModelEntry =>
  fakeEntry("qwen2.5-vl", {
    vision: resolveVisionModel("qwen2.5-vl", "/models/qwen2.5-vl/vision.rknn", {
      image_tokens: 16,
    }),
    ...over,
  });

const pic = (seed: number): ImageInput => ({
  kind: "base64",
  data: makePng(4, 4, () => [seed, seed, seed]).toBase64(),
});
const withImages = (content: string, ...images: ImageInput[]): ChatMessage => ({
  role: "user",
  content,
  images,
});
const asst = (content: string): ChatMessage => ({ role: "assistant", content });
const params = (images: readonly { param: string }[]): string[] => images.map((i) => i.param);

Deno.test("planTurn() refuses images for a model without a vision encoder", () => {
  assert.throws(
    () => planTurn(req([withImages("What is this?", pic(1))]), fakeEntry("m"), SETTINGS),
    (err: unknown) => {
      assert.ok(err instanceof VisionUnsupportedError);
      assert.equal(httpError(err).status, 400);
      assert.equal(err.code, "model_not_vision");
      assert.match(err.message, /'m' does not accept images/);
      return true;
    },
  );
  assert.deepEqual(npuPlan(req([user("hi")])).images, { cold: [], added: [] }, "text is fine");
});

Deno.test("planTurn() places each image's placeholder in the cold prompt where it belongs", async (t) => {
  await t.step("one message: placeholders in front, images as sent", () => {
    const plan = npuPlan(req([withImages("Compare these", pic(1), pic(2))]), vl());
    assert.equal(plan.coldPrompt, "<image><image>\nCompare these");
    assert.deepEqual(params(plan.images.cold), ["messages[0].images[0]", "messages[0].images[1]"]);
    assert.deepEqual(plan.images.added, plan.images.cold);
    assert.equal(plan.conversation.turns[0].images?.length, 2);
    assert.equal(plan.conversation.imageTokens, 16);
  });
  await t.step("a conversation: every turn's images, in order; the new message's are added", () => {
    const plan = npuPlan(
      req([
        { role: "system", content: "Describe <image> tags literally." },
        withImages("What is this?", pic(1)),
        asst("A grey square. <image>"),
        withImages("And this <image>?", pic(2)),
      ]),
      vl(),
    );
    assert.equal(
      plan.coldPrompt,
      "Describe < image> tags literally.\nUser: <image>\nWhat is this?\n" +
        "Assistant: A grey square. < image>\nUser: <image>\nAnd this < image>?",
    );
    assert.deepEqual(params(plan.images.cold), ["messages[1].images[0]", "messages[3].images[0]"]);
    assert.deepEqual(params(plan.images.added), ["messages[3].images[0]"]);
  });
  await t.step("a follow-up without an image adds none and escapes nothing of its own", () => {
    const plan = npuPlan(
      req([withImages("What is this?", pic(1)), asst("A square."), user("Why <image>?")]),
      vl(),
    );
    assert.deepEqual(params(plan.images.cold), ["messages[0].images[0]"]);
    assert.deepEqual(plan.images.added, []);
    assert.match(plan.coldPrompt, /User: Why < image>\?$/, "the prompt goes with an image");
  });
  await t.step("text only on a vision model: the text is left as typed", () => {
    assert.equal(npuPlan(req([user("a <image> tag")]), vl()).coldPrompt, "a <image> tag");
  });
});

Deno.test("planTurn() drops trimmed-away history with its images", async (t) => {
  const bad: ImageInput = { kind: "base64", data: btoa("not an image at all") };
  const history = [
    withImages("First picture?", bad),
    asst("Broken."),
    withImages("Second?", pic(2)),
    asst("Grey."),
    withImages("Third?", pic(3)),
  ];
  await t.step(
    "over the image limit: oldest exchanges go; their bad image is never checked",
    () => {
      const plan = npuPlan(req(history), vl(), { ...SETTINGS, vision: limit(2) });
      assert.deepEqual(params(plan.images.cold), [
        "messages[2].images[0]",
        "messages[4].images[0]",
      ]);
      assert.ok(plan.coldPrompt.startsWith("User: <image>\nSecond?"));
      assert.equal(plan.conversation.turns.length, 5, "the record still compares every turn");
    },
  );
  await t.step("over the context: images count as their tokens", () => {
    // 65 prompt tokens: the text alone (about 63) would fit, but each image counts 16.
    const entry = vl({ contextLength: 100, maxNewTokens: 50 });
    const plan = npuPlan(req(history), entry);
    assert.deepEqual(params(plan.images.cold), ["messages[4].images[0]"]);
    assert.equal(plan.coldPrompt, "<image>\nThird?");
  });
  await t.step("a bad image that would be sent is a 400 naming it", () => {
    assert.throws(
      () => planTurn(req(history), vl(), SETTINGS),
      (err: unknown) =>
        err instanceof InvalidImageError && err.param === "messages[0].images[0]" &&
        /not an image/.test(err.message),
    );
  });
  await t.step("the new message alone over the limit is a 400", () => {
    assert.throws(
      () =>
        planTurn(req([withImages("many", pic(1), pic(2), pic(3))]), vl(), {
          ...SETTINGS,
          vision: limit(2),
        }),
      (err: unknown) =>
        err instanceof ImageTooLargeError && /3 images; the limit is 2/.test(err.message),
    );
  });
  await t.step("the new message's images alone over the context is a context error", () => {
    const entry = vl({ contextLength: 60, maxNewTokens: 10 });
    assert.throws(
      () => planTurn(req([withImages("many", pic(1), pic(2), pic(3))]), entry, SETTINGS),
      (err: unknown) =>
        err instanceof ContextLengthError &&
        /each image counts as about 16 tokens/.test(err.message),
    );
  });
});

Deno.test("planTurn() sends a RAG question's images in front of its prompts", () => {
  const context = "### Task:\nRespond to the user query using the provided context.\n" +
    '<context>\n<source id="1" name="manual">The red button resets the board.</source>\n' +
    "</context>\n<user_query>\nWhat does the button in the photo do?\n</user_query>";
  const plan = npuPlan(req([withImages(context, pic(1))]), vl());
  assert.equal(plan.kind, "rag");
  assert.ok(plan.retrieved?.prompt.startsWith("<image>\n"));
  assert.ok(plan.coldPrompt.startsWith("<image>\n"));
  assert.equal(plan.coldPrompt.split("<image>").length - 1, 1);
  assert.deepEqual(params(plan.images.added), ["messages[0].images[0]"]);
  assert.deepEqual(plan.images.cold, plan.images.added);
});

Deno.test("planTurn() runs a background task on the text only", () => {
  const title = user(
    "### Task:\nGenerate a concise, 3-5 word title with an emoji summarizing the chat history.\n" +
      '### Output:\nJSON format: { "title": "your concise title here" }\n' +
      "<chat_history>\nUSER: What is in this photo?\n</chat_history>",
  );
  const modes = { ...SETTINGS, taskModes: parseTaskModes("title=model") };
  const plan = npuPlan(
    req([withImages("What is in this photo?", pic(1)), asst("A cat."), title]),
    vl(),
    modes,
  );
  assert.equal(plan.kind, "task");
  assert.deepEqual(plan.images, { cold: [], added: [] });
  assert.ok(!plan.coldPrompt.includes("<image>"));
});

function limit(maxImagesPerRequest: number): VisionSettings {
  return { ...DEFAULT_VISION_SETTINGS, maxImagesPerRequest };
}

import assert from "node:assert/strict";
import { toChatBody } from "../../src/http/responses/request.ts";
import { responsesEvents } from "../../src/http/responses/stream.ts";
import type { ChatStreamItem } from "../../src/http/chat_bridge/chat_wire.ts";
import { InvalidRequestError } from "../../src/errors.ts";

const cases: [string, Record<string, unknown>, Record<string, unknown>][] = [
  ["string input with instructions", {
    model: "m",
    input: "hi",
    instructions: "be brief",
    max_output_tokens: 9,
  }, {
    model: "m",
    stream: false,
    max_tokens: 9,
    messages: [{ role: "system", content: "be brief" }, { role: "user", content: "hi" }],
  }],
  ["items: parts, calls merged into one assistant turn, outputs as tool messages", {
    model: "m",
    input: [
      { role: "user", content: [{ type: "input_text", text: "q" }, { type: "input_image" }] },
      { type: "function_call", call_id: "c1", name: "f", arguments: "{}" },
      { type: "function_call", call_id: "c2", name: "g", arguments: "{}" },
      { type: "function_call_output", call_id: "c1", output: "r1" },
      { type: "reasoning", id: "rs_1", summary: [] },
    ],
  }, {
    model: "m",
    stream: false,
    messages: [
      { role: "user", content: [{ type: "text", text: "q" }, { type: "input_image" }] },
      {
        role: "assistant",
        content: null,
        tool_calls: [
          { id: "c1", type: "function", function: { name: "f", arguments: "{}" } },
          { id: "c2", type: "function", function: { name: "g", arguments: "{}" } },
        ],
      },
      { role: "tool", tool_call_id: "c1", content: "r1" },
    ],
  }],
  ["tools, named tool_choice, reasoning, json_schema format, stream", {
    model: "m",
    input: "x",
    stream: true,
    tools: [{ type: "function", name: "f", parameters: { type: "object" }, strict: true }],
    tool_choice: { type: "function", name: "f" },
    reasoning: { effort: "none" },
    text: { format: { type: "json_schema", name: "s", schema: { type: "object" } } },
  }, {
    model: "m",
    stream: true,
    stream_options: { include_usage: true },
    messages: [{ role: "user", content: "x" }],
    tools: [{ type: "function", function: { name: "f", parameters: { type: "object" } } }],
    tool_choice: { type: "function", function: { name: "f" } },
    reasoning_effort: "none",
    response_format: {
      type: "json_schema",
      json_schema: { name: "s", schema: { type: "object" } },
    },
  }],
];

for (const [name, input, expected] of cases) {
  Deno.test(`responses request → chat: ${name}`, () => {
    assert.deepEqual(toChatBody(input).chat, expected);
  });
}

Deno.test("responses request: bad items, non-function tools and state are 400s naming the param", () => {
  const bad: [Record<string, unknown>, string][] = [
    [{ model: "m", input: [{ type: "item_reference", id: "x" }] }, "input[0]"],
    [{ model: "m", input: "x", tools: [{ type: "web_search" }] }, "tools[0].type"],
    [{ model: "m", input: "x", previous_response_id: "resp_1" }, "previous_response_id"],
  ];
  for (const [body, param] of bad) {
    assert.throws(() => toChatBody(body), (e: unknown) => {
      return e instanceof InvalidRequestError && e.param?.startsWith(param) === true;
    });
  }
});

function chunk(delta: Record<string, unknown>, finish: string | null = null): ChatStreamItem {
  return {
    type: "chunk",
    chunk: {
      id: "chatcmpl-abc",
      created: 7,
      model: "m",
      choices: [{ delta, finish_reason: finish }],
    },
  };
}

async function events(items: ChatStreamItem[]) {
  async function* src() {
    yield* items;
  }
  const req = toChatBody({ model: "m", input: "x" }).request;
  const out = [];
  for await (const e of responsesEvents(src(), req, () => 0)) {
    out.push(e as Record<string, unknown>);
  }
  return out;
}

Deno.test("responses stream: reasoning, text and a tool call become items in order", async () => {
  const out = await events([
    chunk({ role: "assistant", content: "" }),
    chunk({ reasoning_content: "think" }),
    chunk({ content: "\n\n" }),
    chunk({ content: "Hi" }),
    chunk({
      tool_calls: [{ index: 0, id: "call_1", function: { name: "f", arguments: '{"a":1}' } }],
    }),
    chunk({}, "tool_calls"),
    {
      type: "chunk",
      chunk: {
        id: "chatcmpl-abc",
        created: 7,
        model: "m",
        choices: [],
        usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
      },
    },
  ]);
  assert.deepEqual(out.map((e) => e.type), [
    "response.created",
    "response.in_progress",
    "response.output_item.added",
    "response.content_part.added",
    "response.reasoning_text.delta",
    "response.reasoning_text.done",
    "response.content_part.done",
    "response.output_item.done",
    "response.output_item.added",
    "response.content_part.added",
    "response.output_text.delta",
    "response.output_text.done",
    "response.content_part.done",
    "response.output_item.done",
    "response.output_item.added",
    "response.function_call_arguments.delta",
    "response.function_call_arguments.done",
    "response.output_item.done",
    "response.completed",
  ]);
  assert.deepEqual(out.map((e) => e.sequence_number), out.map((_, i) => i));
  const done = out.at(-1)!.response as Record<string, unknown>;
  assert.equal(done.id, "resp_abc");
  assert.deepEqual(
    (done.output as Record<string, unknown>[]).map((o) => o.type),
    ["reasoning", "message", "function_call"],
  );
  assert.equal(
    ((done.output as Record<string, unknown>[])[1].content as { text: string }[])[0].text,
    "Hi",
  );
  assert.deepEqual(done.usage, {
    input_tokens: 3,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: 4,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: 7,
  });
});

Deno.test("responses stream: length → response.incomplete; an upstream error → error + response.failed", async () => {
  const cut = await events([chunk({ content: "a" }), chunk({}, "length")]);
  assert.equal(cut.at(-1)!.type, "response.incomplete");
  const failed = await events([
    chunk({ content: "a" }),
    { type: "error", error: { message: "boom", type: "server_error", code: "generation_failed" } },
  ]);
  assert.deepEqual(failed.slice(-2).map((e) => e.type), ["error", "response.failed"]);
  const r = failed.at(-1)!.response as Record<string, unknown>;
  assert.equal(r.status, "failed");
  assert.deepEqual(r.error, { code: "server_error", message: "boom" });
});

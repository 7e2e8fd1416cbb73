import assert from "node:assert/strict";
import type { ChatEvent, ModelInfo } from "../../src/engine/types.ts";
import {
  chatBodySchema,
  generateBodySchema,
  type OllamaChatBody,
  type OllamaGenerateBody,
} from "../../src/ollama/schema.ts";
import {
  argumentsObject,
  argumentsText,
  assistantMessage,
  chatDeltaMessage,
  chatDone,
  chatLine,
  chatToRequest,
  doneReason,
  doneStats,
  generateDone,
  generateLine,
  generateToRequest,
  isoTime,
  isUnloadKeepAlive,
  loadOnlyChat,
  loadOnlyGenerate,
  modelDetails,
  modelDigest,
  modelFamily,
  modelNameCandidates,
  ollamaCapabilities,
  parameterSize,
  psEntry,
  quantizationLevel,
  resolveModel,
  showResponse,
  tagsEntry,
} from "../../src/ollama/wire.ts";

const QWEN: ModelInfo = {
  id: "qwen3-1.7b",
  aliases: ["qwen3", "qwen"],
  contextLength: 4096,
  capabilities: ["thinking", "instruct"],
  sizeBytes: 2_000_000_000,
  fileName: "Qwen3-1.7B-w8a8-rk3588.rkllm",
};
const PHI: ModelInfo = {
  id: "phi-3-mini-4k-instruct",
  aliases: ["phi"],
  contextLength: 4096,
  capabilities: ["instruct", "vl"],
  sizeBytes: 4_000_000_000,
  fileName: "phi.rkllm",
};

const chatBody = (b: Record<string, unknown>): OllamaChatBody => chatBodySchema.parse(b);
const generateBody = (b: Record<string, unknown>): OllamaGenerateBody =>
  generateBodySchema.parse(b);

const META = { model: "qwen3-1.7b", createdAt: "2024-01-01T00:00:00.000Z" };
const USAGE = { promptTokens: 7, completionTokens: 3, totalTokens: 10 };
const TIMINGS = { totalMs: 10, loadMs: 2.5, promptMs: 3, evalMs: 4.5 };

Deno.test("modelNameCandidates() tries the name, then without :latest, then tag as dash", () => {
  const cases: [string, string[]][] = [
    ["qwen3-1.7b", ["qwen3-1.7b"]],
    [" phi ", ["phi"]],
    ["qwen3-1.7b:latest", ["qwen3-1.7b:latest", "qwen3-1.7b"]],
    ["QWEN3-1.7B:Latest", ["QWEN3-1.7B:Latest", "QWEN3-1.7B"]],
    ["qwen3:1.7b", ["qwen3:1.7b", "qwen3-1.7b"]],
    ["qwen3:latest", ["qwen3:latest", "qwen3"]],
    [":latest", [":latest"]],
  ];
  for (const [name, expected] of cases) assert.deepEqual(modelNameCandidates(name), expected, name);
});

Deno.test("resolveModel() returns the first candidate the finder knows", () => {
  const find = (n: string) => [QWEN, PHI].find((m) => m.id === n || m.aliases.includes(n));
  assert.equal(resolveModel("qwen3-1.7b", find), QWEN);
  assert.equal(resolveModel("qwen3-1.7b:latest", find), QWEN);
  assert.equal(resolveModel("qwen3:1.7b", find), QWEN);
  assert.equal(resolveModel("phi:latest", find), PHI);
  assert.equal(resolveModel("llama3:8b", find), undefined);
});

Deno.test("isUnloadKeepAlive() recognises zero durations only", () => {
  const cases: [number | string | null | undefined, boolean][] = [
    [0, true],
    ["0", true],
    ["0s", true],
    ["0m", true],
    [" 0.0h ", true],
    [undefined, false],
    [null, false],
    [-1, false],
    ["-1", false],
    ["5m", false],
    [300, false],
    ["", false],
  ];
  for (const [value, expected] of cases) {
    assert.equal(isUnloadKeepAlive(value), expected, String(value));
  }
});

Deno.test("chatToRequest() maps options, think and tools to the engine's request", () => {
  const { request, ignored } = chatToRequest(
    chatBody({
      model: "qwen3-1.7b:latest",
      messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Hi" }],
      think: false,
      options: {
        temperature: 0.3,
        top_p: 0.9,
        top_k: 20,
        repeat_penalty: 1.1,
        presence_penalty: 0.5,
        frequency_penalty: -0.5,
        num_predict: 64,
        stop: ["</s>", ""],
        seed: 42,
        num_ctx: 8192,
        mirostat: 0,
      },
      tools: [{
        type: "function",
        function: {
          name: "get_weather",
          description: "Weather for a city",
          parameters: { type: "object", properties: { city: { type: "string" } } },
        },
      }],
      keep_alive: "5m",
    }),
    "req-1",
    "qwen3-1.7b",
  );
  assert.deepEqual(request, {
    requestId: "req-1",
    model: "qwen3-1.7b",
    messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Hi" }],
    maxTokens: 64,
    stop: ["</s>"],
    enableThinking: false,
    sampling: {
      temperature: 0.3,
      top_p: 0.9,
      top_k: 20,
      repeat_penalty: 1.1,
      frequency_penalty: -0.5,
      presence_penalty: 0.5,
    },
    tools: [{
      name: "get_weather",
      description: "Weather for a city",
      parameters: { type: "object", properties: { city: { type: "string" } } },
    }],
  });
  assert.deepEqual(ignored, []);
});

Deno.test("chatToRequest() reads think, num_predict and stop the way Ollama does", () => {
  const cases: [Record<string, unknown>, Partial<Record<string, unknown>>][] = [
    [{}, { enableThinking: undefined, maxTokens: undefined, stop: [], sampling: {} }],
    [{ think: true }, { enableThinking: true }],
    [{ think: "low" }, { enableThinking: true }],
    [{ think: null }, { enableThinking: undefined }],
    [{ options: { num_predict: -1 } }, { maxTokens: undefined }],
    [{ options: { num_predict: -2 } }, { maxTokens: undefined }],
    [{ options: { num_predict: 0 } }, { maxTokens: undefined }],
    [{ options: { num_predict: 1 } }, { maxTokens: 1 }],
    [{ options: { stop: "END" } }, { stop: ["END"] }],
    [{ options: { temperature: 0 } }, { sampling: { temperature: 0 } }],
    [{ options: null }, { sampling: {} }],
  ];
  for (const [extra, expected] of cases) {
    const { request } = chatToRequest(
      chatBody({ model: "m", messages: [{ role: "user", content: "x" }], ...extra }),
      "r",
      "m",
    );
    for (const [key, value] of Object.entries(expected)) {
      assert.deepEqual(request[key as keyof typeof request], value, JSON.stringify(extra));
    }
  }
});

Deno.test("chatToRequest() turns object tool-call arguments into JSON text and links results", () => {
  const { request } = chatToRequest(
    chatBody({
      model: "m",
      messages: [
        { role: "user", content: "Weather in Paris and time in Oslo?" },
        {
          role: "assistant",
          content: "",
          tool_calls: [
            { function: { name: "get_weather", arguments: { city: "Paris" } } },
            { function: { name: "get_time", arguments: { city: "Oslo", utc: true } } },
          ],
        },
        { role: "tool", tool_name: "get_time", content: "12:00" },
        { role: "tool", content: "sunny" },
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "c9", function: { name: "f", arguments: '{"a":1}' } }],
        },
        { role: "tool", tool_call_id: "c9", content: "ok" },
        { role: "developer", content: "Answer in English." },
      ],
    }),
    "r",
    "m",
  );
  assert.deepEqual(request.messages, [
    { role: "user", content: "Weather in Paris and time in Oslo?" },
    {
      role: "assistant",
      content: "",
      toolCalls: [
        { id: "call_1_0", name: "get_weather", arguments: '{"city":"Paris"}' },
        { id: "call_1_1", name: "get_time", arguments: '{"city":"Oslo","utc":true}' },
      ],
    },
    { role: "tool", content: "12:00", toolCallId: "call_1_1" },
    { role: "tool", content: "sunny", toolCallId: "call_1_0" },
    {
      role: "assistant",
      content: "",
      toolCalls: [{ id: "c9", name: "f", arguments: '{"a":1}' }],
    },
    { role: "tool", content: "ok", toolCallId: "c9" },
    { role: "system", content: "Answer in English." },
  ]);
});

Deno.test("chatToRequest() passes images on; format is enforced, not ignored", () => {
  const { ignored, request } = chatToRequest(
    chatBody({
      model: "m",
      format: "json",
      messages: [{ role: "user", content: "What is this?", images: ["iVBORw0KGgo="] }],
    }),
    "r",
    "m",
  );
  assert.deepEqual(ignored, []);
  assert.deepEqual(request.messages, [{
    role: "user",
    content: "What is this?",
    images: [{ kind: "base64", data: "iVBORw0KGgo=" }],
  }]);
  const schema = chatToRequest(
    chatBody({ model: "m", format: { type: "object" }, messages: [] }),
    "r",
    "m",
  );
  assert.deepEqual(schema.ignored, []);
});

Deno.test("generateToRequest() wraps system and prompt into one chat turn", () => {
  const { request, ignored } = generateToRequest(
    generateBody({
      model: "phi",
      system: "You are terse.",
      prompt: "Why is the sky blue?",
      options: { num_predict: 10, top_k: 5, stop: ["\n\n"] },
      think: false,
    }),
    "g-1",
    "phi-3-mini-4k-instruct",
  );
  assert.deepEqual(request, {
    requestId: "g-1",
    model: "phi-3-mini-4k-instruct",
    messages: [
      { role: "system", content: "You are terse." },
      { role: "user", content: "Why is the sky blue?" },
    ],
    maxTokens: 10,
    stop: ["\n\n"],
    enableThinking: false,
    sampling: { top_k: 5 },
    tools: [],
  });
  assert.deepEqual(ignored, []);
  const plain = generateToRequest(generateBody({ model: "m", prompt: "x" }), "g", "m");
  assert.deepEqual(plain.request.messages, [{ role: "user", content: "x" }]);
  assert.equal(plain.request.enableThinking, undefined);
});

Deno.test("generateToRequest() reports what the runtime cannot honour", () => {
  const { ignored, request } = generateToRequest(
    generateBody({
      model: "m",
      prompt: "x",
      raw: true,
      template: "{{ .Prompt }}",
      suffix: "end",
      context: [1, 2, 3],
      images: ["AAAA"],
      format: "json",
    }),
    "g",
    "m",
  );
  assert.deepEqual(ignored, ["raw", "template", "suffix", "context"]);
  assert.deepEqual(request.messages, [{
    role: "user",
    content: "x",
    images: [{ kind: "base64", data: "AAAA" }],
  }]);
  const none = generateToRequest(
    generateBody({ model: "m", prompt: "x", raw: false, context: [], images: [] }),
    "g",
    "m",
  );
  assert.deepEqual(none.ignored, []);
});

Deno.test("argumentsText() and argumentsObject() convert between object and JSON text", () => {
  assert.equal(argumentsText({ a: 1, b: [true] }), '{"a":1,"b":[true]}');
  assert.equal(argumentsText('{"a":1}'), '{"a":1}');
  assert.equal(argumentsText(undefined), "{}");
  assert.equal(argumentsText(null), "{}");
  const cases: [string, Record<string, unknown>][] = [
    ['{"city":"Paris"}', { city: "Paris" }],
    ["{}", {}],
    ["[1,2]", {}],
    ['"text"', {}],
    ["not json", {}],
    ["null", {}],
  ];
  for (const [text, expected] of cases) assert.deepEqual(argumentsObject(text), expected, text);
});

Deno.test("doneReason() maps tool_calls to stop; doneStats() reports nanoseconds", () => {
  assert.equal(doneReason("stop"), "stop");
  assert.equal(doneReason("length"), "length");
  assert.equal(doneReason("tool_calls"), "stop");
  assert.deepEqual(doneStats(USAGE, TIMINGS), {
    total_duration: 10_000_000,
    load_duration: 2_500_000,
    prompt_eval_count: 7,
    prompt_eval_duration: 3_000_000,
    eval_count: 3,
    eval_duration: 4_500_000,
  });
  const negative = doneStats(USAGE, { totalMs: -1, loadMs: 0.0000004, promptMs: 0, evalMs: 0 });
  assert.equal(negative.total_duration, 0);
  assert.equal(negative.load_duration, 0);
});

Deno.test("chatDeltaMessage() puts reasoning in thinking and tool calls as objects", () => {
  const cases: [Exclude<ChatEvent, { type: "done" | "error" }>, unknown][] = [
    [{ type: "content", text: "Hi" }, { role: "assistant", content: "Hi" }],
    [{ type: "reasoning", text: "hmm" }, { role: "assistant", content: "", thinking: "hmm" }],
    [
      { type: "tool_calls", calls: [{ id: "call_1", name: "f", arguments: '{"x":2}' }] },
      {
        role: "assistant",
        content: "",
        tool_calls: [{ id: "call_1", function: { index: 0, name: "f", arguments: { x: 2 } } }],
      },
    ],
  ];
  for (const [event, expected] of cases) assert.deepEqual(chatDeltaMessage(event), expected);
  const later = chatDeltaMessage({
    type: "tool_calls",
    calls: [{ id: "c", name: "g", arguments: "{}" }],
  }, 2);
  assert.equal(later.tool_calls?.[0].function.index, 2);
});

Deno.test("chatLine() and chatDone() have Ollama's exact shapes", () => {
  assert.deepEqual(chatLine(META, { role: "assistant", content: "Hi" }), {
    model: "qwen3-1.7b",
    created_at: "2024-01-01T00:00:00.000Z",
    message: { role: "assistant", content: "Hi" },
    done: false,
  });
  assert.deepEqual(chatDone(META, { role: "assistant", content: "" }, "length", USAGE, TIMINGS), {
    model: "qwen3-1.7b",
    created_at: "2024-01-01T00:00:00.000Z",
    message: { role: "assistant", content: "" },
    done: true,
    done_reason: "length",
    total_duration: 10_000_000,
    load_duration: 2_500_000,
    prompt_eval_count: 7,
    prompt_eval_duration: 3_000_000,
    eval_count: 3,
    eval_duration: 4_500_000,
  });
});

Deno.test("assistantMessage() trims, omits empty thinking and converts tool calls", () => {
  assert.deepEqual(assistantMessage("\n\nParis.", "  ", []), {
    role: "assistant",
    content: "Paris.",
  });
  assert.deepEqual(
    assistantMessage("", " think ", [{ id: "call_a", name: "f", arguments: '{"q":"x"}' }]),
    {
      role: "assistant",
      content: "",
      thinking: "think",
      tool_calls: [{ id: "call_a", function: { index: 0, name: "f", arguments: { q: "x" } } }],
    },
  );
});

Deno.test("generateLine() and generateDone() have Ollama's exact shapes", () => {
  assert.deepEqual(generateLine(META, "Hi"), {
    model: "qwen3-1.7b",
    created_at: "2024-01-01T00:00:00.000Z",
    response: "Hi",
    done: false,
  });
  assert.deepEqual(generateLine(META, "", "hmm"), {
    model: "qwen3-1.7b",
    created_at: "2024-01-01T00:00:00.000Z",
    response: "",
    thinking: "hmm",
    done: false,
  });
  assert.deepEqual(generateDone(META, "Blue.", "", "stop", USAGE, TIMINGS), {
    model: "qwen3-1.7b",
    created_at: "2024-01-01T00:00:00.000Z",
    response: "Blue.",
    done: true,
    done_reason: "stop",
    context: [],
    total_duration: 10_000_000,
    load_duration: 2_500_000,
    prompt_eval_count: 7,
    prompt_eval_duration: 3_000_000,
    eval_count: 3,
    eval_duration: 4_500_000,
  });
  assert.equal(generateDone(META, "", "why", "stop", USAGE, TIMINGS).thinking, "why");
});

Deno.test("loadOnlyChat() and loadOnlyGenerate() answer load and unload requests", () => {
  assert.deepEqual(loadOnlyChat(META, "load"), {
    model: "qwen3-1.7b",
    created_at: "2024-01-01T00:00:00.000Z",
    message: { role: "assistant", content: "" },
    done_reason: "load",
    done: true,
  });
  assert.deepEqual(loadOnlyGenerate(META, "unload"), {
    model: "qwen3-1.7b",
    created_at: "2024-01-01T00:00:00.000Z",
    response: "",
    done_reason: "unload",
    done: true,
  });
  assert.equal(isoTime(1_700_000_000_000), "2023-11-14T22:13:20.000Z");
});

Deno.test("model details come from the id and file name", () => {
  const family: [string, string][] = [
    ["qwen3-1.7b", "qwen3"],
    ["phi-3-mini-4k-instruct", "phi"],
    ["llama-3.2-3b-instruct", "llama"],
    ["deepseek-r1-distill-qwen-1.5b", "deepseek"],
    ["MiniCPM4", "minicpm4"],
  ];
  for (const [id, expected] of family) assert.equal(modelFamily(id), expected, id);
  const sizes: [string, string][] = [
    ["qwen3-1.7b", "1.7B"],
    ["llama-3.2-3b-instruct", "3B"],
    ["qwen2.5-0.5b-instruct", "0.5B"],
    ["smollm-135m", "135M"],
    ["phi-3-mini-4k-instruct", ""],
    ["internvl3.5-4b", "4B"],
  ];
  for (const [id, expected] of sizes) assert.equal(parameterSize(id), expected, id);
  const quants: [string, string][] = [
    ["Qwen3-1.7B-w8a8-rk3588.rkllm", "W8A8"],
    ["model_w4a16_g128.rkllm", "W4A16_G128"],
    ["x.w8a8.rkllm", "W8A8"],
    ["phi.rkllm", ""],
  ];
  for (const [file, expected] of quants) assert.equal(quantizationLevel(file), expected, file);
  assert.deepEqual(modelDetails(QWEN), {
    parent_model: "",
    format: "rkllm",
    family: "qwen3",
    families: ["qwen3"],
    parameter_size: "1.7B",
    quantization_level: "W8A8",
  });
});

Deno.test("modelDigest() is 64 hex digits, stable, and changes with the file", () => {
  const digest = modelDigest(QWEN);
  assert.match(digest, /^[0-9a-f]{64}$/);
  assert.equal(modelDigest({ ...QWEN }), digest);
  assert.notEqual(modelDigest({ ...QWEN, sizeBytes: QWEN.sizeBytes + 1 }), digest);
  assert.notEqual(modelDigest(PHI), digest);
});

Deno.test("tagsEntry() and psEntry() use the canonical id as name and model", () => {
  assert.deepEqual(tagsEntry(QWEN, "2024-01-01T00:00:00.000Z"), {
    name: "qwen3-1.7b",
    model: "qwen3-1.7b",
    modified_at: "2024-01-01T00:00:00.000Z",
    size: 2_000_000_000,
    digest: modelDigest(QWEN),
    details: modelDetails(QWEN),
  });
  assert.deepEqual(psEntry(QWEN, "9999-12-31T23:59:59Z"), {
    name: "qwen3-1.7b",
    model: "qwen3-1.7b",
    size: 2_000_000_000,
    digest: modelDigest(QWEN),
    details: modelDetails(QWEN),
    expires_at: "9999-12-31T23:59:59Z",
    size_vram: 2_000_000_000,
    context_length: 4096,
  });
});

Deno.test("showResponse() reports context length, details and capabilities", () => {
  assert.deepEqual(ollamaCapabilities(QWEN), ["completion", "tools", "thinking"]);
  assert.deepEqual(ollamaCapabilities(PHI), ["completion", "tools", "vision"]);
  assert.deepEqual(showResponse(QWEN, "2024-01-01T00:00:00.000Z"), {
    license: "",
    modelfile: "# Modelfile generated by rkllm-api\nFROM Qwen3-1.7B-w8a8-rk3588.rkllm\n" +
      "PARAMETER num_ctx 4096\n",
    parameters: "num_ctx 4096",
    template: "",
    details: modelDetails(QWEN),
    model_info: {
      "general.architecture": "qwen3",
      "general.basename": "qwen3-1.7b",
      "qwen3.context_length": 4096,
    },
    capabilities: ["completion", "tools", "thinking"],
    modified_at: "2024-01-01T00:00:00.000Z",
  });
});

/**
 * A corpus of malformed HTTP requests for the server (`tests/e2e/bad_input_test.ts`), built as
 * data: `badInputs()` yields every request that must be refused with a 4xx and an error body
 * (OpenAI's shape, Ollama's under /api); `acceptedInputs()` lists valid-but-odd requests that
 * must be answered like a normal request of their endpoint. Both APIs get the edge numbers
 * (0, -0, 1e-320, 1e308, "NaN", 2^53+2) in every numeric field and odd unicode (BOM, RTL, zero
 * width, NUL, full width, combining marks, lone surrogates) in model names and content; each
 * case's verdict follows from the field's documented range.
 * Bodies above a few MB are built lazily (`body` may be a function) so the corpus stays cheap to
 * enumerate.
 */

export type Body = string | Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array>;

export interface HttpCase {
  /** Unique; used as the test step name. */
  name: string;
  /** Category, for the summary line. */
  group: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: Body | (() => Body);
}

export interface RejectedCase extends HttpCase {
  /** The status (or the statuses allowed); always 4xx. */
  status: number | number[];
  /**
   * Expected `error.param`: `null` = exactly null; a string = that field or a sub-path of it
   * (`messages` also matches `messages[0].role`); absent = not checked.
   */
  param?: string | null;
  /** Expected `error.code`, when fixed; absent = not checked. */
  code?: string | null;
}

/** What a successful answer looks like, per endpoint. */
export type AnswerKind =
  | "chat"
  | "completion"
  | "embedding"
  | "ollama-chat"
  | "ollama-generate"
  | "ollama-embed"
  | "ollama-show"
  | "select";

export interface AcceptedCase extends HttpCase {
  /** Why this odd input is valid. */
  why: string;
  /** The prompt the runtime must get (a string: exactly). */
  prompt?: string | RegExp;
  /** The endpoint's answer shape; default "chat". */
  answer?: AnswerKind;
}

/** The corpus server's `--max-messages` (small, so the limit cases stay cheap). */
export const CORPUS_MAX_MESSAGES = 64;

/** Endpoints present on the server under test that not every build has. */
export interface CorpusOptions {
  /** POST /api/embed exists. */
  ollamaEmbed?: boolean;
  /** The server's `--max-messages`. */
  maxMessages?: number;
}

/** The model every case addresses (an alias of Phi-3-Mini-4K-Instruct in the default folder). */
export const MODEL = "phi";
export const MIB = 1024 * 1024;
/** The server's default `--max-body-bytes`. */
export const BODY_LIMIT = 16 * MIB;

const CHAT = "/v1/chat/completions";
const SELECT = "/v1/models/select";
const encoder = new TextEncoder();

const userMessage = { role: "user", content: "hi" };

/** A valid chat body with `patch` merged in; a field set to `undefined` is removed. */
export function chatBody(patch: Record<string, unknown> = {}): Record<string, unknown> {
  const body: Record<string, unknown> = { model: MODEL, messages: [userMessage], ...patch };
  for (const [k, v] of Object.entries(body)) if (v === undefined) delete body[k];
  return body;
}

const json = (value: unknown): string => JSON.stringify(value);
const bytes = (...parts: (string | number[])[]): Uint8Array<ArrayBuffer> => {
  const chunks = parts.map((p) => typeof p === "string" ? encoder.encode(p) : Uint8Array.from(p));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
};
/** `text` encoded as UTF-16 (little or big endian), optionally with a byte-order mark. */
function utf16(text: string, endian: "le" | "be", bom: boolean): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array((text.length + (bom ? 1 : 0)) * 2);
  const view = new DataView(out.buffer);
  let at = 0;
  if (bom) {
    view.setUint16(0, 0xfeff, endian === "le");
    at = 2;
  }
  for (let i = 0; i < text.length; i++, at += 2) {
    view.setUint16(at, text.charCodeAt(i), endian === "le");
  }
  return out;
}
const deepArray = (depth: number): string => "[".repeat(depth) + "]".repeat(depth);
const deepObject = (depth: number): string => '{"a":'.repeat(depth) + "1" + "}".repeat(depth);
/** A JSON text of exactly `size` bytes: a chat body whose user message is padded with `x`. */
function chatOfSize(size: number): Uint8Array<ArrayBuffer> {
  const shell = json(chatBody({ messages: [{ role: "user", content: "" }] }));
  const pad = size - encoder.encode(shell).length;
  const text = shell.replace('"content":""', `"content":"${"x".repeat(pad)}"`);
  const out = encoder.encode(text);
  if (out.length !== size) throw new Error(`chatOfSize: ${out.length} != ${size}`);
  return out;
}
/** A body streamed in 1 MiB chunks without Content-Length (chunked transfer encoding). */
function chunkedStream(total: number): ReadableStream<Uint8Array> {
  const chunk = new Uint8Array(MIB).fill(0x20);
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= total) return controller.close();
      const n = Math.min(MIB, total - sent);
      controller.enqueue(n === MIB ? chunk : chunk.subarray(0, n));
      sent += n;
    },
  });
}

/** Model names that look like paths; none may reach the runtime as a file path. */
export const PATH_LIKE_MODELS = [
  "../../etc/passwd",
  "/etc/passwd",
  "..%2f..%2fetc%2fpasswd",
  "~root",
  "C:\\Windows\\System32\\config",
  "\\\\server\\share\\model.rkllm",
  "file:///etc/passwd",
  "./phi",
  "phi/../qwen3-1.7b",
  "Phi-3-Mini-4K-Instruct/Phi-3-Mini-4K-Instruct-w8a8-rk3588.rkllm",
  "../Phi-3-Mini-4K-Instruct",
  "/dev/zero",
];

/** Every request the server must refuse with a 4xx. */
export function* badInputs(opts: CorpusOptions = {}): Generator<RejectedCase> {
  yield* edgeCases(opts).rejected;
  const post = (
    group: string,
    name: string,
    body: HttpCase["body"],
    expect: Expect,
    extra: Partial<HttpCase> = {},
  ): RejectedCase => ({ group, name, method: "POST", path: CHAT, body, ...expect, ...extra });
  type Expect = Pick<RejectedCase, "status" | "param" | "code">;
  const badJson: Expect = { status: 400, param: null, code: null };
  /** A validation error naming `param`. */
  const at = (param: string): Expect => ({ status: 400, param });
  const tooLong: Expect = { status: 400, param: "messages", code: "context_length_exceeded" };
  const notFound: Expect = { status: 404, param: "model", code: "model_not_found" };
  const tooLarge: Expect = { status: 413, param: null, code: "request_too_large" };

  // --- Invalid JSON of many kinds -------------------------------------------------------------
  const invalidJson: [string, string][] = [
    ["lone open brace", "{"],
    ["lone close brace", "}"],
    ["lone quote", '"'],
    ["whitespace only", "   \n\t  "],
    ["missing value", '{"model":}'],
    ["single-quoted", "{'model':'phi','messages':[]}"],
    ["unquoted keys", '{model:"phi",messages:[]}'],
    ["trailing comma in object", '{"model":"phi",}'],
    ["trailing comma in array", '{"model":"phi","messages":[{"role":"user","content":"hi"},]}'],
    ["leading comma", '{,"model":"phi"}'],
    ["missing colon", '{"model" "phi"}'],
    ["missing comma", '{"model":"phi" "messages":[]}'],
    ["line comment", '{"model":"phi" // comment\n}'],
    ["block comment", '{/* c */"model":"phi"}'],
    ["NaN literal", '{"model":"phi","temperature":NaN}'],
    ["Infinity literal", '{"model":"phi","temperature":Infinity}'],
    ["undefined literal", '{"model":undefined}'],
    ["leading zero", '{"model":"phi","max_tokens":010}'],
    ["hex number", '{"model":"phi","max_tokens":0x10}'],
    ["bare exponent", '{"model":"phi","max_tokens":1e}'],
    ["leading dot", '{"model":"phi","temperature":.5}'],
    ["plus sign", '{"model":"phi","temperature":+1}'],
    ["invalid escape \\x", '{"model":"\\x41"}'],
    ["short unicode escape", '{"model":"\\u12"}'],
    ["non-hex unicode escape", '{"model":"\\uZZZZ"}'],
    ["raw newline in string", '{"model":"p\nhi"}'],
    ["raw tab in string", '{"model":"p\thi"}'],
    ["raw NUL in string", '{"model":"p\u0000hi"}'],
    ["unterminated string", '{"model":"phi'],
    ["two objects", '{"model":"phi"}{"model":"phi"}'],
    ["trailing garbage", json(chatBody()) + " x"],
    ["trailing NUL byte", json(chatBody()) + "\u0000"],
    ["JSONP wrapper", `callback(${json(chatBody())})`],
    ["form encoding", "model=phi&messages=hi"],
    ["XML", "<request><model>phi</model></request>"],
    ["YAML", "model: phi\nmessages:\n  - role: user\n    content: hi\n"],
    ["Python dict", "{'model': 'phi', 'stream': True, 'stop': None}"],
    ["true/false in caps", '{"model":"phi","stream":TRUE}'],
    ["null in caps", '{"model":"phi","stop":NULL}'],
    ["unbalanced brackets", '{"model":"phi","messages":[{"role":"user","content":"hi"}}'],
    ["NBSP as whitespace", '{\u00a0"model":"phi"}'],
    ["two BOMs before the JSON", "\ufeff\ufeff" + json(chatBody())],
    ["BOM between tokens", '{"model":"phi",\ufeff"messages":[]}'],
    ["10k unclosed arrays", "[".repeat(10_000)],
    ["10k unclosed objects", '{"a":'.repeat(10_000)],
    ["10k nested arrays, one bracket short", "[".repeat(10_000) + "]".repeat(9_999)],
  ];
  for (const [name, body] of invalidJson) yield post("invalid JSON", name, body, badJson);
  yield post("invalid JSON", "empty body", "", badJson);

  // --- Valid JSON that is not an object ----------------------------------------------------------
  const notObject: [string, string][] = [
    ["null", "null"],
    ["true", "true"],
    ["number", "42"],
    ["string", '"phi"'],
    ["empty array", "[]"],
    ["array holding a valid body", `[${json(chatBody())}]`],
    ["10k nested arrays", deepArray(10_000)],
    ["100k nested arrays", deepArray(100_000)],
  ];
  for (const [name, body] of notObject) yield post("not an object", name, body, badJson);

  // --- Truncated bodies ------------------------------------------------------------------------
  // Every byte prefix of a compact valid body (cuts inside "é" and "✓" make invalid UTF-8).
  const compact = encoder.encode(
    json({ model: MODEL, messages: [{ role: "user", content: "héllo ✓" }], stream: false }),
  );
  for (let cut = 1; cut < compact.length; cut++) {
    yield post(
      "truncated",
      `chat body cut at byte ${cut}/${compact.length}`,
      compact.slice(0, cut),
      badJson,
    );
  }
  // A richer streaming body, cut at a dozen points.
  const rich = encoder.encode(json(chatBody({
    stream: true,
    stream_options: { include_usage: true },
    max_tokens: 16,
    stop: ["\n\n"],
    temperature: 0.2,
    tools: [{ type: "function", function: { name: "get_time", parameters: { type: "object" } } }],
    tool_choice: "auto",
  })));
  for (const frac of [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99]) {
    const cut = Math.max(1, Math.floor(rich.length * frac));
    yield post(
      "truncated",
      `streaming tools body cut at byte ${cut}/${rich.length}`,
      rich.slice(0, cut),
      badJson,
    );
  }

  // --- Deep nesting inside known fields ------------------------------------------------------------
  const deep: [string, string, string][] = [
    ["10k nested objects as the body", deepObject(10_000), "model"],
    ["10k nested arrays as model", `{"model":${deepArray(10_000)},"messages":[]}`, "model"],
    ["10k nested objects as model", `{"model":${deepObject(10_000)}}`, "model"],
    [
      "10k nested arrays as messages",
      `{"model":"phi","messages":${deepArray(10_000)}}`,
      "messages",
    ],
    [
      "10k nested objects as a message",
      `{"model":"phi","messages":[${deepObject(10_000)}]}`,
      "messages",
    ],
    [
      "10k nested arrays as content",
      `{"model":"phi","messages":[{"role":"user","content":${deepArray(10_000)}}]}`,
      "messages",
    ],
    [
      "10k nested arrays as stop",
      `{"model":"phi","messages":[${json(userMessage)}],"stop":${deepArray(10_000)}}`,
      "stop",
    ],
    [
      "10k nested objects as tool_choice",
      `{"model":"phi","messages":[${json(userMessage)}],"tool_choice":${deepObject(10_000)}}`,
      "tool_choice",
    ],
    [
      "100k nested arrays as messages",
      `{"model":"phi","messages":${deepArray(100_000)}}`,
      "messages",
    ],
  ];
  for (const [name, body, param] of deep) {
    yield post("deep nesting", name, body, at(param));
  }

  // --- Huge strings, below and above the 16 MiB limit -----------------------------------------
  yield post(
    "huge",
    "4 MB user message (context too long)",
    () => json(chatBody({ messages: [{ role: "user", content: "word ".repeat(800_000) }] })),
    tooLong,
  );
  yield post(
    "huge",
    "body of exactly 16 MiB (context too long)",
    () => chatOfSize(BODY_LIMIT),
    tooLong,
  );
  yield post(
    "huge",
    "4 MB system prompt (context too long)",
    () => json(chatBody({ messages: [{ role: "system", content: "s".repeat(4e6) }, userMessage] })),
    tooLong,
  );
  yield post("huge", "5 MB model name", () => json(chatBody({ model: "m".repeat(5e6) })), notFound);
  yield post(
    "huge",
    "5 MB role",
    () => json(chatBody({ messages: [{ role: "r".repeat(5e6), content: "hi" }] })),
    at("messages"),
  );
  yield post(
    "huge",
    "5 MB tool name",
    () => json(chatBody({ tools: [{ type: "function", function: { name: "t".repeat(5e6) } }] })),
    at("tools"),
  );
  yield post(
    "huge",
    "5 MB reasoning_effort",
    () => json(chatBody({ reasoning_effort: "e".repeat(5e6) })),
    at("reasoning_effort"),
  );
  yield post("oversized", "16 MiB + 1 byte", () => chatOfSize(BODY_LIMIT + 1), tooLarge);
  yield post("oversized", "17 MiB valid chat body", () => chatOfSize(17 * MIB), tooLarge);
  yield post("oversized", "32 MiB of spaces", () => new Uint8Array(32 * MIB).fill(0x20), tooLarge);
  yield post(
    "oversized",
    "17 MiB chunked, no Content-Length",
    () => chunkedStream(17 * MIB),
    tooLarge,
  );

  // --- Wrong types in every known field of the chat body -----------------------------------------
  const fieldCases: [string, unknown[]][] = [
    ["model", [123, null, true, [], {}, "", "   ", ["phi"]]],
    ["messages", [null, "hi", 42, {}, [], userMessage, [null], ["hi"], [1], [[]]]],
    ["stream", ["true", 1, 0, {}, [], "yes"]],
    ["stream_options", ["x", 1, true, [], { include_usage: "yes" }, { include_usage: 1 }]],
    ["max_tokens", [0, -1, 1.5, "10", true, [], {}, 2 ** 53 + 2]],
    ["max_completion_tokens", [0, -5, 2.5, "10", false, [8]]],
    ["stop", [1, true, {}, [1], [null], ["a", "b", "c", "d", "e"], [[]], [{}]]],
    ["n", [2, 0, -1, 1.5, "1", true]],
    ["temperature", [-0.1, 2.1, "0.7", true, [], {}]],
    ["top_p", [-0.1, 1.1, "0.9", []]],
    ["top_k", [-1, 1.5, "40", {}]],
    ["seed", [1.5, "42", true, {}]],
    ["repeat_penalty", [-1, 11, "1.1"]],
    ["frequency_penalty", [-3, 3, "0"]],
    ["presence_penalty", [-2.5, 2.5, {}]],
    ["tools", ["x", {}, 1, true, [1], [null], [{}], [{ type: "retrieval" }], [{
      type: "function",
    }]]],
    ["tool_choice", ["maybe", "AUTO", 1, true, [], {}, { type: "function" }]],
    ["chat_template_kwargs", ["x", 1, [], true, { enable_thinking: "yes" }, {
      enable_thinking: 1,
    }]],
    ["reasoning_effort", ["extreme", "NONE", "", 1, true, []]],
  ];
  for (const [field, values] of fieldCases) {
    for (const value of values) {
      yield post(
        "wrong type",
        `${field}: ${short(value)}`,
        json(chatBody({ [field]: value })),
        at(field),
      );
    }
  }
  yield post("wrong type", "model: missing", json(chatBody({ model: undefined })), at("model"));
  yield post(
    "wrong type",
    "messages: missing",
    json(chatBody({ messages: undefined })),
    at("messages"),
  );
  yield post(
    "wrong type",
    "max_tokens: 1e400 (Infinity)",
    `{"model":"phi","messages":[${json(userMessage)}],"max_tokens":1e400}`,
    at("max_tokens"),
  );
  yield post(
    "wrong type",
    "duplicate key, last one wrong",
    `{"model":"phi","model":1,"messages":[${json(userMessage)}]}`,
    at("model"),
  );
  yield post(
    "unknown model",
    "stream true with an unknown model",
    json(chatBody({ stream: true, model: "nope" })),
    notFound,
  );
  yield post(
    "wrong type",
    "stream true with n: 3",
    json(chatBody({ stream: true, n: 3 })),
    at("n"),
  );
  yield post(
    "images",
    "an image part for a model without a vision encoder",
    json(chatBody({
      messages: [{
        role: "user",
        content: [{ type: "image_url", image_url: { url: "data:," } }, {
          type: "text",
          text: "hi",
        }],
      }],
    })),
    { status: 400, param: "messages", code: "model_not_vision" },
  );

  // Each message field.
  const messageCases: [string, Record<string, unknown>[]][] = [
    ["role", [
      { content: "hi" },
      { role: 1, content: "hi" },
      { role: null, content: "hi" },
      { role: "robot", content: "hi" },
      { role: "USER", content: "hi" },
      { role: "", content: "hi" },
      { role: ["user"], content: "hi" },
      { role: "user\u0000", content: "hi" },
      { role: "u\u200dser", content: "hi" },
    ]],
    ["content", [
      { role: "user", content: 1 },
      { role: "user", content: true },
      { role: "user", content: {} },
      { role: "user", content: { type: "text", text: "hi" } },
      { role: "user", content: [1] },
      { role: "user", content: [null] },
      { role: "user", content: [{}] },
      { role: "user", content: [{ type: 1 }] },
      { role: "user", content: [{ type: "text", text: 1 }] },
      { role: "user", content: ["hi"] },
    ]],
    ["tool_call_id", [
      { role: "tool", content: "42", tool_call_id: 1 },
      { role: "tool", content: "42", tool_call_id: {} },
      { role: "tool", content: "42", tool_call_id: ["c1"] },
    ]],
  ];
  for (const [field, messages] of messageCases) {
    for (const m of messages) {
      yield post(
        "wrong type",
        `messages[0].${field}: ${field in m ? short(m[field]) : "missing"}`,
        json(chatBody({ messages: [m] })),
        at(`messages[0].${field}`),
      );
    }
  }
  const toolCallsCases: unknown[] = [
    "x",
    {},
    [1],
    [null],
    [{}],
    [{ function: {} }],
    [{ function: { name: "" } }],
    [{ function: { name: 1 } }],
    [{ type: "custom", function: { name: "f" } }],
    [{ id: 1, function: { name: "f" } }],
    [{ function: { name: "f", arguments: { a: 1 } } }],
  ];
  for (const toolCalls of toolCallsCases) {
    yield post(
      "wrong type",
      `messages[0].tool_calls: ${short(toolCalls)}`,
      json(chatBody({
        messages: [{ role: "assistant", content: null, tool_calls: toolCalls }, userMessage],
      })),
      at("messages[0].tool_calls"),
    );
  }
  // The conversation shape itself.
  const shapes: [string, unknown[]][] = [
    ["last message from the assistant", [userMessage, { role: "assistant", content: "hello" }]],
    ["system message only", [{ role: "system", content: "be brief" }]],
    ["developer message only", [{ role: "developer", content: "be brief" }]],
  ];
  for (const [name, messages] of shapes) {
    yield post("wrong type", `messages: ${name}`, json(chatBody({ messages })), at("messages"));
  }
  // Each tool field.
  const tool = (fn: Record<string, unknown>) => [{ type: "function", function: fn }];
  const toolCases: [string, unknown][] = [
    ["function: missing", [{ type: "function" }]],
    ["function: string", [{ type: "function", function: "f" }]],
    ["name: missing", tool({})],
    ["name: empty", tool({ name: "" })],
    ["name: number", tool({ name: 1 })],
    ["name: with a space", tool({ name: "get time" })],
    ["name: 65 characters", tool({ name: "f".repeat(65) })],
    ["name: path-like", tool({ name: "../../bin/sh" })],
    ["name: non-ASCII", tool({ name: "wétter" })],
    ["name: RTL mark", tool({ name: "\u202ef" })],
    ["description: number", tool({ name: "f", description: 1 })],
    ["parameters: string", tool({ name: "f", parameters: "{}" })],
    ["parameters: array", tool({ name: "f", parameters: [] })],
    ["parameters: number", tool({ name: "f", parameters: 1 })],
    [
      "129 tools",
      Array.from({ length: 129 }, (_, i) => ({ type: "function", function: { name: `f${i}` } })),
    ],
  ];
  for (const [name, tools] of toolCases) {
    yield post("wrong type", `tools ${name}`, json(chatBody({ tools })), at("tools"));
  }
  const toolChoiceCases: unknown[] = [
    { type: "x", function: { name: "f" } },
    { type: "function", function: {} },
    { type: "function", function: { name: 1 } },
    { type: "function", function: "f" },
  ];
  for (const choice of toolChoiceCases) {
    yield post(
      "wrong type",
      `tool_choice: ${short(choice)}`,
      json(chatBody({ tool_choice: choice })),
      at("tool_choice"),
    );
  }

  // --- Invalid UTF-8 bytes in the body ----------------------------------------------------------
  const badUtf8 = badJson;
  /** A chat body whose user message holds `raw` bytes between `before` and `after`. */
  const inContent = (raw: number[], before = "", after = "") =>
    bytes(`{"model":"phi","messages":[{"role":"user","content":"${before}`, raw, `${after}"}]}`);
  const invalidUtf8: [string, Uint8Array<ArrayBuffer>][] = [
    ["0xFF in content", inContent([0xff], "a")],
    ["overlong '/' (C0 AF)", inContent([0xc0, 0xaf])],
    ["lone continuation byte", inContent([0x80])],
    ["truncated 3-byte sequence", inContent([0xe2, 0x82])],
    ["UTF-8-encoded surrogate (CESU)", inContent([0xed, 0xa0, 0x80])],
    ["code point above U+10FFFF", inContent([0xf4, 0x90, 0x80, 0x80])],
    ["5-byte sequence", inContent([0xf8, 0x88, 0x80, 0x80, 0x80])],
    ["Latin-1 é in content", inContent([0xe9], "caf")],
    [
      "0xFE in the model name",
      bytes('{"model":"ph', [0xfe], `i","messages":[${json(userMessage)}]}`),
    ],
    [
      "invalid byte outside strings",
      bytes('{"model":"phi",', [0xff], `"messages":[${json(userMessage)}]}`),
    ],
    ["UTF-16LE with BOM", utf16(json(chatBody()), "le", true)],
    ["UTF-16BE with BOM", utf16(json(chatBody()), "be", true)],
  ];
  for (const [name, body] of invalidUtf8) yield post("invalid UTF-8", name, body, badUtf8);
  yield post(
    "invalid UTF-8",
    "UTF-16LE without BOM (NUL bytes)",
    utf16(json(chatBody()), "le", false),
    badJson,
  );

  // --- Odd unicode that is not valid input --------------------------------------------------------
  const oddModels: [string, string][] = [
    ["model with NUL", "phi\u0000"],
    ["model: lone surrogate", "\ud800"],
    ["model with a lone surrogate", "phi\udc00"],
    ["model with an RTL mark", "\u200fphi"],
    ["model with right-to-left override", "\u202eihp"],
    ["model with a zero-width space", "ph\u200bi"],
    ["model: emoji ZWJ sequence", "\u{1f468}\u200d\u{1f469}\u200d\u{1f467}"],
    ["model in full-width letters", "ｐｈｉ"],
    ["model with a combining accent", "phi\u0301"],
    ["model in Cyrillic look-alikes", "рhі"],
  ];
  for (const [name, model] of oddModels) {
    yield post("odd unicode", name, json(chatBody({ model })), notFound);
  }

  // --- Unknown and path-like model names ------------------------------------------------------
  for (const model of ["gpt-4o", "nope", "phi-3-mini-4k-instruct-extra", "qwen3_1.7b", "phi-"]) {
    yield post("unknown model", `model '${model}'`, json(chatBody({ model })), notFound);
  }
  for (const model of PATH_LIKE_MODELS) {
    yield post("path-like model", `model '${model}'`, json(chatBody({ model })), notFound);
  }

  // --- Content types ------------------------------------------------------------------------
  const boundary = "----rkllm-test-boundary";
  const multipart = `--${boundary}\r\nContent-Disposition: form-data; name="json"\r\n` +
    `Content-Type: application/json\r\n\r\n${json(chatBody())}\r\n--${boundary}--\r\n`;
  const contentTypes: [string, string, Body][] = [
    [
      "multipart/form-data with a JSON part",
      `multipart/form-data; boundary=${boundary}`,
      multipart,
    ],
    ["form-urlencoded fields", "application/x-www-form-urlencoded", "model=phi&messages=hi"],
    ["text/plain prose", "text/plain", "hello, please answer"],
    ["application/xml", "application/xml", "<chat><model>phi</model></chat>"],
    [
      "JSON declared as UTF-16, sent as UTF-16",
      "application/json; charset=utf-16",
      utf16(json(chatBody()), "le", true),
    ],
    [
      "octet-stream of random-looking bytes",
      "application/octet-stream",
      bytes([0, 1, 2, 0xfe, 0xff, 3]),
    ],
  ];
  for (const [name, type, body] of contentTypes) {
    yield post("content type", name, body, badJson, {
      headers: { "Content-Type": type },
    });
  }

  // --- Wrong methods --------------------------------------------------------------------------
  const methodNotAllowed = [404, 405];
  const postRoutes = [
    CHAT,
    "/chat/completions",
    "/v1/completions",
    "/completions",
    "/v1/embeddings",
    "/embeddings",
    SELECT,
    "/v1/models/unload",
  ];
  for (const path of postRoutes) {
    for (const method of ["GET", "PUT", "DELETE", "PATCH"]) {
      yield {
        group: "wrong method",
        name: `${method} ${path}`,
        method,
        path,
        body: method === "GET" ? undefined : json(chatBody()),
        // GET /v1/models/select reads "select" as a model id: a 404 model_not_found.
        status: methodNotAllowed,
      };
    }
  }
  const getRoutes = ["/v1/models", "/models", "/health", "/metrics", "/ready", "/v1/models/phi"];
  for (const path of getRoutes) {
    for (const method of ["POST", "PUT", "DELETE", "PATCH"]) {
      yield {
        group: "wrong method",
        name: `${method} ${path}`,
        method,
        path,
        body: json(chatBody()),
        status: methodNotAllowed,
      };
    }
  }
  yield {
    group: "wrong method",
    name: `PROPFIND ${CHAT}`,
    method: "PROPFIND",
    path: CHAT,
    status: methodNotAllowed,
  };

  // --- Unknown paths --------------------------------------------------------------------------
  const routeNotFound = { status: 404, param: null, code: "not_found" };
  const unknownPaths: [string, string][] = [
    ["POST", "/v1/chat/completion"],
    ["POST", "/v2/chat/completions"],
    ["POST", "/v1/chat/completions/"],
    ["POST", "//v1/chat/completions"],
    ["POST", "/V1/CHAT/COMPLETIONS"],
    ["POST", "/v1/chat/completions%00"],
    ["POST", "/v1/chat"],
    ["POST", "/v1/assistants"],
    ["POST", "/v1/images/generations"],
    ["POST", "/v1/batches"],
    ["POST", "/v1/audio/transcriptions"],
    ["POST", "/v1/embeddings/x"],
    ["GET", "/"],
    ["GET", "/v1"],
    ["GET", "/v1/models/"],
    ["GET", "/.env"],
    ["GET", "/index.html"],
    ["GET", "/../../etc/passwd"],
    ["GET", "/%2e%2e/%2e%2e/etc/passwd"],
    ["GET", "/health/"],
    ["GET", "/healthz"],
    // Terminal escapes and a forged log line in the URL (the log must show them escaped).
    ["GET", "/%1B[2J%1B[31mred"],
    ["GET", "/x%0A2026-01-01T00:00:00.000Z%20ERROR%20[main]%20forged"],
    ["POST", "/v1/chat/completions%1B%5B0m"],
  ];
  for (const [method, path] of unknownPaths) {
    yield {
      group: "unknown path",
      name: `${method} ${path}`,
      method,
      path,
      body: method === "POST" ? json(chatBody()) : undefined,
      ...routeNotFound,
    };
  }

  // --- The same classes against POST /v1/models/select ----------------------------------------
  const select = (
    name: string,
    body: HttpCase["body"],
    expect: Expect,
    headers?: Record<string, string>,
  ): RejectedCase => ({
    group: "models/select",
    name: `select: ${name}`,
    method: "POST",
    path: SELECT,
    body,
    headers,
    ...expect,
  });
  yield select("empty body", "", badJson);
  for (const [name, body] of invalidJson.slice(0, 12)) yield select(name, body, badJson);
  for (const [name, body] of notObject) yield select(name, body, badJson);
  const selectBody = json({ model: MODEL });
  for (let cut = 1; cut < selectBody.length; cut++) {
    yield select(`body cut at byte ${cut}/${selectBody.length}`, selectBody.slice(0, cut), badJson);
  }
  yield select("model: missing", "{}", at("model"));
  for (const model of [1, null, [], {}, "", "   ", true, ["phi"]]) {
    yield select(`model: ${short(model)}`, json({ model }), at("model"));
  }
  yield select("model: 10k nested arrays", `{"model":${deepArray(10_000)}}`, at("model"));
  for (const model of ["gpt-4o", ...PATH_LIKE_MODELS, "phi\u0000", "\ud800", "\u200fphi"]) {
    yield select(`model ${JSON.stringify(model)}`, json({ model }), notFound);
  }
  yield select("5 MB model name", () => json({ model: "m".repeat(5e6) }), notFound);
  yield select("17 MiB body", () => json({ model: MODEL, pad: "x".repeat(17 * MIB) }), tooLarge);
  yield select("invalid UTF-8", bytes('{"model":"ph', [0xff], 'i"}'), badUtf8);
  yield select("text/plain prose", "select phi please", badJson, { "Content-Type": "text/plain" });

  // --- The same classes against GET /v1/models/:id -------------------------------------------
  const modelIds = [
    "gpt-4o",
    "nope",
    "..%2f..%2fetc%2fpasswd",
    "..%2F..%2F..%2Fetc%2Fshadow",
    "%2Fetc%2Fpasswd",
    "~root",
    "C:%5CWindows%5CSystem32",
    "%5C%5Cserver%5Cshare",
    "phi%2F..%2F..%2Fetc",
    "file:%2F%2F%2Fetc%2Fpasswd",
    "%00",
    "phi%00",
    "%ff",
    "%",
    "%E2%80%8Fphi",
    "%F0%9F%91%A8%E2%80%8D%F0%9F%91%A9",
    "m".repeat(4000),
    "phi/extra",
  ];
  for (const id of modelIds) {
    yield {
      group: "models/:id",
      name: `GET /v1/models/${id.length > 60 ? `${id.slice(0, 20)}…(${id.length})` : id}`,
      method: "GET",
      path: `/v1/models/${id}`,
      ...notFound,
    };
  }
}

/** Valid-but-odd requests: each must get a 200 and a well-formed answer of its endpoint. */
export function acceptedInputs(opts: CorpusOptions = {}): AcceptedCase[] {
  const ok = (
    name: string,
    why: string,
    body: Body | (() => Body),
    extra: Partial<AcceptedCase> = {},
  ): AcceptedCase => ({ group: "accepted", name, why, method: "POST", path: CHAT, body, ...extra });
  const content = (text: string) => json(chatBody({ messages: [{ role: "user", content: text }] }));
  const deep = deepObject(10_000);
  return [
    ok(
      "BOM before the JSON",
      "RFC 8259 §8.1 lets a parser ignore a leading BOM; the UTF-8 decoder strips it",
      bytes([0xef, 0xbb, 0xbf], json(chatBody())),
      { prompt: "hi" },
    ),
    ok(
      "Content-Type text/plain",
      "any content type is read as JSON (json_body.ts), as curl and some SDKs send others",
      json(chatBody()),
      { headers: { "Content-Type": "text/plain" } },
    ),
    ok(
      "Content-Type form-urlencoded with a JSON body",
      "curl -d sends this content type with a JSON body",
      json(chatBody()),
      { headers: { "Content-Type": "application/x-www-form-urlencoded" } },
    ),
    ok(
      "Content-Type multipart/form-data with a raw JSON body",
      "the body is JSON whatever the header says",
      json(chatBody()),
      { headers: { "Content-Type": "multipart/form-data; boundary=x" } },
    ),
    ok(
      "no Content-Type header",
      "a bare JSON body is still JSON",
      encoder.encode(json(chatBody())),
    ),
    ok(
      "lone high surrogate \\ud800 in content",
      "valid JSON; the unpaired surrogate reaches the runtime as U+FFFD",
      `{"model":"phi","messages":[{"role":"user","content":"a \\ud800 b"}]}`,
      { prompt: "a \ufffd b" },
    ),
    ok(
      "lone low surrogate \\udc00 in content",
      "valid JSON; the unpaired surrogate reaches the runtime as U+FFFD",
      `{"model":"phi","messages":[{"role":"user","content":"\\udc00"}]}`,
      { prompt: "\ufffd" },
    ),
    ok(
      "NUL escaped in content",
      "valid JSON text; see the ignored NUL test for how it reaches the runtime",
      content("before\u0000after"),
    ),
    ok(
      "RTL marks and isolates in content",
      "ordinary text for a multilingual model",
      content("\u200fשלום\u200e hi \u2067مرحبا\u2069"),
      { prompt: "\u200fשלום\u200e hi \u2067مرحبا\u2069" },
    ),
    ok(
      "emoji ZWJ sequence in content",
      "ordinary text",
      content("\u{1f468}\u200d\u{1f469}\u200d\u{1f467}\u200d\u{1f466} family"),
      { prompt: "\u{1f468}\u200d\u{1f469}\u200d\u{1f467}\u200d\u{1f466} family" },
    ),
    ok(
      "U+FEFF inside content",
      "a zero-width no-break space is just a character",
      content("a\ufeffb"),
      { prompt: "a\ufeffb" },
    ),
    ok(
      "noncharacters U+FFFF and U+10FFFF in content",
      "valid Unicode scalar values",
      content("\uffff\u{10ffff}"),
      { prompt: "\uffff\u{10ffff}" },
    ),
    ok(
      "model id with surrounding spaces",
      "model names are trimmed",
      json(chatBody({ model: "  phi \t" })),
    ),
    ok(
      "model id with a leading BOM",
      "String.prototype.trim removes U+FEFF like other whitespace",
      json(chatBody({ model: "\ufeffphi" })),
    ),
    ok(
      "model id in upper case",
      "model names are case-insensitive",
      json(chatBody({ model: "PHI-3-MINI-4K-INSTRUCT" })),
    ),
    ok(
      "10k nested objects in an unknown field",
      "unknown fields are ignored",
      `{"model":"phi","messages":[${json(userMessage)}],"metadata":${deep}}`,
    ),
    ok(
      "10k nested objects in a content part's unknown key",
      "unknown part fields are ignored",
      `{"model":"phi","messages":[{"role":"user","content":[{"type":"text","text":"hi","x":${deep}}]}]}`,
    ),
    ok(
      "10k nested objects as a tool's parameters schema",
      "parameters is any JSON object; it is passed on as the tools JSON",
      `{"model":"phi","messages":[${
        json(userMessage)
      }],"tools":[{"type":"function","function":{"name":"f","parameters":{"x":${deep}}}}]}`,
    ),
    ok(
      "5 MB string in an unknown field",
      "unknown fields (here OpenAI's 'user') are ignored",
      () => json(chatBody({ user: "u".repeat(5e6) })),
    ),
    ok(
      "every optional field null",
      "null means 'not given' for every optional field",
      json(chatBody({
        stream: null,
        stream_options: null,
        max_tokens: null,
        max_completion_tokens: null,
        stop: null,
        n: null,
        seed: null,
        temperature: null,
        top_p: null,
        top_k: null,
        reasoning_effort: null,
        chat_template_kwargs: null,
        tools: null,
        tool_choice: null,
      })),
    ),
    ok(
      "duplicate key, last one valid",
      "JSON.parse keeps the last duplicate, as most parsers do",
      `{"model":1,"model":"phi","messages":[${json(userMessage)}]}`,
    ),
    ok("empty user content", "an empty message is valid (the model still answers)", content("")),
    ok(
      "null user content",
      "content is nullable for every role (assistant tool-call turns need it)",
      json(chatBody({ messages: [{ role: "user", content: null }] })),
    ),
    ok(
      "audio part next to text",
      "parts the runtime cannot take (audio, files) are dropped and reported",
      json(chatBody({
        messages: [{
          role: "user",
          content: [{ type: "input_audio", input_audio: { data: "", format: "wav" } }, {
            type: "text",
            text: "hi",
          }],
        }],
      })),
      { prompt: "hi" },
    ),
    ok(
      "temperature -0 and max_tokens 5.0",
      "-0 and 5.0 are the numbers 0 and 5",
      `{"model":"phi","messages":[${json(userMessage)}],"temperature":-0,"max_tokens":5.0}`,
    ),
    ok("empty stop string", "empty stop strings are dropped", json(chatBody({ stop: [""] }))),
    ok(
      "unknown message fields",
      "extra message fields (name, refusal) are ignored",
      json(chatBody({ messages: [{ ...userMessage, name: 1, refusal: {} }] })),
    ),
    ...edgeCases(opts).accepted,
  ];
}

/** A short printable form of a value for case names. */
function short(value: unknown): string {
  const text = JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

// --- Edge numbers and odd unicode across both APIs ----------------------------------------------

/** Numbers that have broken JSON servers, as JSON text (JSON.stringify would turn -0 into 0). */
export const EDGE_NUMBERS: readonly [string, unknown][] = [
  ["0", 0],
  ["-0", -0],
  ["1e-320", 1e-320],
  ["1e308", 1e308],
  ['"NaN"', "NaN"],
  ["9007199254740994", 2 ** 53 + 2],
];

/** A numeric field's documented range; a value outside it is a 400. */
interface NumberRange {
  min?: number;
  max?: number;
  /** Strictly above this (a positive count: above 0). */
  above?: number;
  /** A safe integer. */
  int?: boolean;
}

export function inRange(value: unknown, r: NumberRange): boolean {
  if (typeof value !== "number" || !Number.isFinite(value)) return false;
  if (r.int && !Number.isSafeInteger(value)) return false;
  if (r.min !== undefined && value < r.min) return false;
  if (r.max !== undefined && value > r.max) return false;
  return r.above === undefined || value > r.above;
}

const count: NumberRange = { int: true, above: 0 };
const SAMPLING: [string, NumberRange][] = [
  ["temperature", { min: 0, max: 2 }],
  ["top_p", { min: 0, max: 1 }],
  ["top_k", { int: true, min: 0 }],
  ["repeat_penalty", { min: 0, max: 10 }],
  ["frequency_penalty", { min: -2, max: 2 }],
  ["presence_penalty", { min: -2, max: 2 }],
];

/** One endpoint: where its numbers go, what a valid body is, how it answers. */
interface Endpoint {
  label: string;
  path: string;
  answer: AnswerKind;
  /** A valid body with `extra` merged in (`model` overridable). */
  body: (extra: Record<string, unknown>) => Record<string, unknown>;
  /** Numeric fields: a dotted path (`options.top_k`) and its range. */
  numbers: [string, NumberRange][];
  /** Where a text goes in the body (for odd unicode in content). */
  text: (text: string) => Record<string, unknown>;
}

const ollamaOptions: [string, NumberRange][] = [
  ...SAMPLING.map(([f, r]): [string, NumberRange] => [`options.${f}`, r]),
  ["options.num_predict", { int: true, min: -2 }],
  ["options.seed", { int: true }],
  // Seconds; negative means "keep loaded"; any finite number is valid.
  ["keep_alive", {}],
];

function endpoints(opts: CorpusOptions): Endpoint[] {
  const user = (text: string) => ({ messages: [{ role: "user", content: text }] });
  const list: Endpoint[] = [
    {
      label: "chat",
      path: CHAT,
      answer: "chat",
      body: (extra) => ({ model: MODEL, ...user("hi"), ...extra }),
      numbers: [
        ["max_tokens", count],
        ["max_completion_tokens", count],
        ["n", { int: true, min: 1, max: 1 }],
        ["seed", { int: true }],
        ...SAMPLING,
      ],
      text: user,
    },
    {
      label: "completions",
      path: "/v1/completions",
      answer: "completion",
      body: (extra) => ({ model: MODEL, prompt: "hi", ...extra }),
      numbers: [
        ["max_tokens", count],
        ["n", { int: true, min: 1, max: 1 }],
        ["best_of", { int: true, min: 1, max: 1 }],
        ["seed", { int: true }],
        ...SAMPLING,
      ],
      text: (text) => ({ prompt: text }),
    },
    {
      label: "embeddings",
      path: "/v1/embeddings",
      answer: "embedding",
      body: (extra) => ({ model: MODEL, input: "hi", ...extra }),
      numbers: [["dimensions", count]],
      text: (text) => ({ input: text }),
    },
    {
      label: "ollama chat",
      path: "/api/chat",
      answer: "ollama-chat",
      body: (extra) => ({ model: MODEL, stream: false, ...user("hi"), ...extra }),
      numbers: ollamaOptions,
      text: user,
    },
    {
      label: "ollama generate",
      path: "/api/generate",
      answer: "ollama-generate",
      body: (extra) => ({ model: MODEL, stream: false, prompt: "hi", ...extra }),
      // `context` holds token numbers of an earlier answer; any finite numbers are valid.
      numbers: [...ollamaOptions, ["context.0", {}]],
      text: (text) => ({ prompt: text }),
    },
  ];
  if (opts.ollamaEmbed) {
    list.push({
      label: "ollama embed",
      path: "/api/embed",
      answer: "ollama-embed",
      body: (extra) => ({ model: MODEL, input: "hi", ...extra }),
      numbers: [
        ...SAMPLING.map(([f, r]): [string, NumberRange] => [`options.${f}`, r]),
        ["dimensions", count],
        ["keep_alive", {}],
      ],
      text: (text) => ({ input: text }),
    });
  }
  return list;
}

/** `path` ("options.top_k", "context.0") set to a placeholder, so its JSON text can be spliced. */
const SLOT = "\u0000slot\u0000";
function withSlot(body: Record<string, unknown>, path: string): string {
  const keys = path.split(".");
  let at: Record<string, unknown> = body;
  keys.slice(0, -1).forEach((k, i) => {
    const next = /^\d+$/.test(keys[i + 1]) ? [] : {};
    at[k] = at[k] ?? next;
    at = at[k] as Record<string, unknown>;
  });
  at[keys.at(-1)!] = SLOT;
  return json(body).replace(json(SLOT), "%s");
}

/** Odd characters: how a model name spelled with them is answered, and content with them. */
const ODD_CHARACTERS: [string, string][] = [
  ["BOM", "\ufeff"],
  ["RTL mark", "\u200f"],
  ["right-to-left override", "\u202e"],
  ["zero-width space", "\u200b"],
  ["zero-width joiner", "\u200d"],
  ["NUL", "\u0000"],
  ["full-width letter", "ｐ"],
  ["combining acute", "\u0301"],
  ["lone high surrogate", "\ud800"],
  ["lone low surrogate", "\udc00"],
];

interface EdgeCases {
  rejected: RejectedCase[];
  accepted: AcceptedCase[];
}

/** The edge-number and odd-unicode matrix, split by verdict. */
export function edgeCases(opts: CorpusOptions): EdgeCases {
  const out: EdgeCases = { rejected: [], accepted: [] };
  const eps = endpoints(opts);
  const isOllama = (e: Endpoint) => e.path.startsWith("/api/");
  for (const e of eps) {
    // Numbers.
    for (const [field, range] of e.numbers) {
      for (const [text, value] of EDGE_NUMBERS) {
        const base = { group: "edge numbers", method: "POST", path: e.path };
        const name = `${e.label} ${field}: ${text}`;
        const body = withSlot(e.body({}), field).replace("%s", text);
        if (inRange(value, range)) {
          out.accepted.push({
            ...base,
            name,
            body,
            answer: e.answer,
            why: `${text} is within the documented range of ${field}`,
          });
        } else {
          const param = field.replace(/\.(\d+)/g, "[$1]");
          out.rejected.push({
            ...base,
            name,
            body,
            status: 400,
            ...(isOllama(e) ? {} : { param }),
          });
        }
      }
    }
    // Odd unicode in content: ordinary text for a model (NUL removed, lone surrogates → U+FFFD).
    for (const [label, ch] of ODD_CHARACTERS) {
      out.accepted.push({
        group: "odd unicode",
        name: `${e.label} content with a ${label}`,
        method: "POST",
        path: e.path,
        body: json(e.body(e.text(`a${ch}b`))),
        answer: e.answer,
        why: "any text is valid content",
      });
    }
  }
  // Odd unicode in model names, on every endpoint that takes one.
  const named: { label: string; path: string; answer: AnswerKind; body: (m: string) => unknown }[] =
    [
      ...eps.map((e) => ({ ...e, body: (model: string) => e.body({ model }) })),
      {
        label: "ollama show",
        path: "/api/show",
        answer: "ollama-show",
        body: (model) => ({ model }),
      },
      { label: "models/select", path: SELECT, answer: "select", body: (model) => ({ model }) },
    ];
  for (const e of named) {
    for (const [label, ch] of ODD_CHARACTERS) {
      for (const [where, model] of [["before", `${ch}phi`], ["inside", `p${ch}hi`]]) {
        const base = {
          group: "odd unicode",
          name: `${e.label} model name with a ${label} ${where}`,
          method: "POST",
          path: e.path,
          body: json(e.body(model)),
        };
        // Leading/trailing white space, the BOM included, is trimmed from names.
        if (label === "BOM" && where === "before") {
          out.accepted.push({ ...base, answer: e.answer, why: "names are trimmed" });
        } else {
          out.rejected.push({
            ...base,
            status: 404,
            ...(e.path.startsWith("/api/") ? {} : { param: "model", code: "model_not_found" }),
          });
        }
      }
    }
  }
  // A message without content (OpenAI requires it for every role but assistant).
  for (const role of ["user", "system", "developer", "tool"]) {
    const messages = role === "user" ? [{ role }] : [{ role }, userMessage];
    out.rejected.push({
      group: "wrong type",
      name: `messages[0]: a ${role} message without content`,
      method: "POST",
      path: CHAT,
      body: json(chatBody({ messages })),
      status: 400,
      param: "messages[0].content",
    });
  }
  // Deep nesting beyond the parser's limit in an unknown field, on every JSON endpoint.
  const deep = (open: string, close: string) =>
    open.repeat(100_000) + (open === "[" ? "" : "1") + close.repeat(100_000);
  for (
    const e of [...named, {
      label: "responses",
      path: "/v1/responses",
      body: (m: string) => ({ model: m, input: "hi" }),
    }, {
      label: "messages",
      path: "/v1/messages",
      body: (m: string) => ({ model: m, max_tokens: 8, messages: [userMessage] }),
    }]
  ) {
    for (const [kind, open, close] of [["objects", '{"a":', "}"], ["arrays", "[", "]"]]) {
      out.rejected.push({
        group: "deep nesting",
        name: `${e.label}: 100k nested ${kind} in an unknown field`,
        method: "POST",
        path: e.path,
        body: () => json(e.body(MODEL)).replace(/}$/, `,"x_deep":${deep(open, close)}}`),
        status: 400,
        ...(e.path.startsWith("/api/") || e.path === "/v1/messages" ? {} : { param: "x_deep" }),
      });
    }
  }
  // More messages than the server accepts (`--max-messages`), and exactly that many.
  if (opts.maxMessages) {
    const conversation = (n: number) =>
      Array.from({ length: n }, (_, i) => ({
        role: i % 2 === 0 ? "user" : "assistant",
        content: i % 2 === 0 ? `q${i}` : `a${i}`,
      }));
    const odd = (n: number) => (n % 2 === 1 ? n : n - 1); // ends with a user turn
    out.accepted.push({
      group: "limits",
      name: `${odd(opts.maxMessages)} messages (within max_messages)`,
      method: "POST",
      path: CHAT,
      body: json(chatBody({ messages: conversation(odd(opts.maxMessages)) })),
      why: "at most max_messages messages are accepted",
    });
    for (const n of [opts.maxMessages + 1, 100_000]) {
      out.rejected.push({
        group: "limits",
        name: `${n} messages (beyond max_messages)`,
        method: "POST",
        path: CHAT,
        body: () => json(chatBody({ messages: conversation(odd(n + 1)) })),
        status: 400,
        param: "messages",
        code: "too_many_messages",
      });
    }
  }
  return out;
}

/** Whether an app answers POST /api/embed (not every build has it: its cases are left out). */
export async function hasOllamaEmbed(
  fetchFn: (path: string, init: RequestInit) => Promise<Response> | Response,
): Promise<boolean> {
  const res = await fetchFn("/api/embed", { method: "POST", body: "{}" });
  const body = await res.json();
  return !(res.status === 404 && /No route/.test(String(body.error)));
}

/** The corpus as `deno task test` runs it: its size is quoted in the README. */
export function corpusSize(opts: CorpusOptions): { rejected: number; accepted: number } {
  return { rejected: [...badInputs(opts)].length, accepted: acceptedInputs(opts).length };
}

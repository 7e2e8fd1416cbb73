import assert from "node:assert/strict";
import {
  formatInstruction,
  startStructured,
  StructuredOutputError,
  withInstruction,
} from "../../src/engine/structured_output.ts";
import { checkOutput, extractJson } from "../../src/chat/structured_check.ts";
import {
  fromOllamaFormat,
  fromResponseFormat,
  type OutputFormat,
} from "../../src/chat/structured_format.ts";
import type { ChatEvent, ChatRequest } from "../../src/engine/types.ts";
import { InvalidRequestError } from "../../src/errors.ts";
import { FakeService } from "../support/fake_service.ts";
import { httpError } from "../../src/http/errors.ts";

const PERSON = {
  type: "object",
  properties: { name: { type: "string" }, age: { type: "integer", minimum: 0 } },
  required: ["name", "age"],
  additionalProperties: false,
};
const SCHEMA: OutputFormat = { type: "json_schema", name: "person", schema: PERSON };
const OBJECT: OutputFormat = { type: "json_object" };

Deno.test("fromResponseFormat() reads OpenAI's response_format", async (t) => {
  const rows: [string, unknown, OutputFormat | null][] = [
    ["absent", undefined, null],
    ["null", null, null],
    ["text", { type: "text" }, null],
    ["json_object", { type: "json_object" }, OBJECT],
    [
      "json_schema",
      { type: "json_schema", json_schema: { name: "person", schema: PERSON, strict: true } },
      SCHEMA,
    ],
    [
      "json_schema without a schema: any JSON",
      { type: "json_schema", json_schema: { name: "x" } },
      { type: "json_schema", name: "x", schema: {} },
    ],
  ];
  for (const [name, value, expected] of rows) {
    await t.step(name, () => assert.deepEqual(fromResponseFormat(value), expected));
  }
});

Deno.test("fromResponseFormat() refuses a malformed response_format with a 400 naming it", async (t) => {
  const rows: [string, unknown, RegExp, string][] = [
    ["unknown type", { type: "yaml" }, /response_format/, "response_format.type"],
    ["not an object", "json", /response_format/, "response_format"],
    ["json_schema without json_schema", { type: "json_schema" }, /json_schema/, ""],
    [
      "schema not an object",
      { type: "json_schema", json_schema: { schema: [1] } },
      /JSON Schema object/,
      "response_format.json_schema.schema",
    ],
    [
      "unresolvable $ref",
      { type: "json_schema", json_schema: { schema: { $ref: "#/$defs/nope" } } },
      /cannot be used: Unresolved \$ref/,
      "response_format.json_schema.schema",
    ],
  ];
  for (const [name, value, message, param] of rows) {
    await t.step(name, () => {
      assert.throws(() => fromResponseFormat(value), (err: unknown) => {
        assert.ok(err instanceof InvalidRequestError);
        assert.equal(httpError(err).status, 400);
        assert.match(err.message, message);
        if (param) assert.equal(err.param, param);
        return true;
      });
    });
  }
});

Deno.test('fromOllamaFormat() reads "json" or a schema object', async (t) => {
  await t.step("absent and empty", () => {
    assert.equal(fromOllamaFormat(undefined), null);
    assert.equal(fromOllamaFormat(""), null);
  });
  await t.step("json", () => assert.deepEqual(fromOllamaFormat("json"), OBJECT));
  await t.step("schema", () => {
    assert.deepEqual(fromOllamaFormat(PERSON), {
      type: "json_schema",
      name: "format",
      schema: PERSON,
    });
  });
  await t.step("another string is a 400", () => {
    assert.throws(() => fromOllamaFormat("yaml"), /Invalid 'format': must be "json"/);
  });
});

Deno.test("extractJson() finds the JSON as small models write it", async (t) => {
  const rows: [string, string, string | null][] = [
    ["alone", '{"a":1}', '{"a":1}'],
    ["spaces around", '  {"a": 1}\n', '{"a": 1}'],
    ["code fence", '```json\n{"a":1}\n```', '{"a":1}'],
    ["bare fence", "```\n[1,2]\n```", "[1,2]"],
    ["prose around", 'Here it is: {"a": {"b": 2}} Hope this helps!', '{"a": {"b": 2}}'],
    ["an array in prose", "Sure: [1, 2] done", "[1, 2]"],
    ["not JSON", "I cannot do that.", null],
    ["cut off", '{"a": "unfinished', null],
  ];
  for (const [name, answer, json] of rows) {
    await t.step(name, () => assert.equal(extractJson(answer)?.json ?? null, json));
  }
});

Deno.test("checkOutput() says whether an answer meets the format, and why not", async (t) => {
  const rows: [string, OutputFormat, string, string | RegExp][] = [
    ["object ok", OBJECT, '{"ok": true}', '{"ok": true}'],
    ["object: an array is not one", OBJECT, "[1]", /an array, not a JSON object/],
    ["object: a string is not one", OBJECT, '"hi"', /a string, not a JSON object/],
    ["object: empty answer", OBJECT, "  ", /the answer is empty/],
    ["object: prose", OBJECT, "No.", /not JSON/],
    ["schema ok", SCHEMA, '{"name":"Ada","age":36}', '{"name":"Ada","age":36}'],
    ["schema: wrong type", SCHEMA, '{"name":"Ada","age":"36"}', /#\/age: .*integer/],
    ["schema: missing property", SCHEMA, '{"name":"Ada"}', /required property "age"/i],
    ["schema: extra property", SCHEMA, '{"name":"A","age":1,"x":0}', /additional/],
    ["schema: minimum", SCHEMA, '{"name":"A","age":-1}', /#\/age/],
  ];
  for (const [name, format, answer, expected] of rows) {
    await t.step(name, () => {
      const result = checkOutput(format, answer);
      if (typeof expected === "string") assert.deepEqual(result, { ok: true, json: expected });
      else {
        assert.equal(result.ok, false);
        assert.match((result as { problem: string }).problem, expected);
      }
    });
  }
});

Deno.test("withInstruction() appends to the system message or adds one", () => {
  const text = formatInstruction(SCHEMA);
  assert.match(text, /JSON Schema:\n\{"type":"object"/);
  assert.match(formatInstruction(OBJECT), /one JSON object and nothing else/);
  assert.deepEqual(withInstruction([{ role: "user", content: "Hi" }], "X"), [
    { role: "system", content: "X" },
    { role: "user", content: "Hi" },
  ]);
  assert.deepEqual(
    withInstruction(
      [{ role: "system", content: "Be terse. " }, { role: "user", content: "Hi" }],
      "X",
    ),
    [{ role: "system", content: "Be terse.\n\nX" }, { role: "user", content: "Hi" }],
  );
});

const usage = (n: number) => ({ promptTokens: n, completionTokens: n, totalTokens: 2 * n });
const answer = (text: string, finishReason: "stop" | "length" = "stop"): ChatEvent[] => [
  { type: "reasoning", text: "hmm" },
  { type: "content", text },
  { type: "done", finishReason, usage: usage(1) },
];

/** A service whose every start() plays the next script. */
class ScriptedService extends FakeService {
  scripts: ChatEvent[][] = [];
  override start(req: ChatRequest) {
    this.script = this.scripts.shift() ?? this.script;
    return super.start(req);
  }
}

async function run(scripts: ChatEvent[][], format: OutputFormat | null) {
  const service = new ScriptedService();
  service.scripts = scripts;
  const req: ChatRequest = {
    requestId: "r1",
    model: "phi",
    messages: [{ role: "user", content: "Who?" }],
    stop: [],
    sampling: {},
  };
  const gen = await startStructured(service, req, format, { param: "response_format" });
  const events: ChatEvent[] = [];
  for await (const e of gen.events) events.push(e);
  return { events, requests: service.requests };
}

Deno.test("startStructured() without a format is the service's own generation", async () => {
  const { events, requests } = await run([answer("plain text")], null);
  assert.deepEqual(events, answer("plain text"));
  assert.equal(requests[0].messages.length, 1);
});

Deno.test("startStructured() sends the JSON of a valid answer, after the reasoning", async () => {
  const { events, requests } = await run([answer('Sure! {"name":"Ada","age":36}')], SCHEMA);
  assert.deepEqual(events, [
    { type: "reasoning", text: "hmm" },
    { type: "content", text: '{"name":"Ada","age":36}' },
    { type: "done", finishReason: "stop", usage: usage(1) },
  ]);
  assert.equal(requests.length, 1);
  assert.equal(requests[0].messages[0].role, "system");
  assert.match(requests[0].messages[0].content, /valid against this JSON Schema/);
});

Deno.test("startStructured() retries once with the problem, and counts both runs", async () => {
  const { events, requests } = await run(
    [answer('{"name":"Ada"}'), answer('{"name":"Ada","age":36}')],
    SCHEMA,
  );
  assert.equal(requests.length, 2);
  const retry = requests[1].messages;
  assert.deepEqual(retry.at(-2), { role: "assistant", content: '{"name":"Ada"}' });
  assert.match(retry.at(-1)!.content, /cannot be used: .*age.*corrected JSON/);
  assert.deepEqual(events.filter((e) => e.type === "content"), [
    { type: "content", text: '{"name":"Ada","age":36}' },
  ]);
  assert.deepEqual(events.at(-1), { type: "done", finishReason: "stop", usage: usage(2) });
});

Deno.test("startStructured() fails with a 422 after two invalid answers, sending neither", async () => {
  const { events, requests } = await run([answer("no"), answer("still no")], OBJECT);
  assert.equal(requests.length, 2);
  assert.equal(events.some((e) => e.type === "content" || e.type === "done"), false);
  const last = events.at(-1)!;
  assert.equal(last.type, "error");
  const err = (last as { error: Error }).error;
  assert.ok(err instanceof StructuredOutputError);
  assert.equal(httpError(err).status, 422);
  assert.equal(err.code, "structured_output_failed");
  assert.equal(err.param, "response_format");
  assert.match(err.message, /after 2 attempts: the answer is not JSON/);
});

Deno.test("startStructured() does not retry an answer cut at the token limit", async () => {
  const { events, requests } = await run([answer('{"name": "Ad', "length")], SCHEMA);
  assert.equal(requests.length, 1);
  const err = (events.at(-1) as { error: Error }).error;
  assert.match(err.message, /after 1 attempt: .*cut at the token limit/);
});

Deno.test("startStructured() passes tool calls through unchecked", async () => {
  const calls = [{ id: "c1", name: "lookup", arguments: "{}" }];
  const script: ChatEvent[] = [
    { type: "tool_calls", calls },
    { type: "done", finishReason: "tool_calls", usage: usage(1) },
  ];
  const { events, requests } = await run([script], SCHEMA);
  assert.deepEqual(events, script);
  assert.equal(requests.length, 1);
});

Deno.test("startStructured() passes a generation error through", async () => {
  const error = new Error("runtime failed");
  const { events } = await run(
    [[{ type: "content", text: "{" }, { type: "error", error }]],
    OBJECT,
  );
  assert.deepEqual(events, [{ type: "error", error }]);
});

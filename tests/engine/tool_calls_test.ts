import assert from "node:assert/strict";
import {
  parseToolCall,
  serializeToolCalls,
  ToolCallParser,
  type ToolPiece,
} from "../../src/engine/tool_calls.ts";

function run(pieces: string[]): ToolPiece[] {
  let n = 0;
  const parser = new ToolCallParser(() => `call_${++n}`);
  const out = pieces.flatMap((p) => parser.push(p));
  out.push(...parser.flush());
  // Merge adjacent content for comparison.
  const merged: ToolPiece[] = [];
  for (const p of out) {
    const last = merged.at(-1);
    if (p.kind === "content" && last?.kind === "content") last.text += p.text;
    else merged.push(p.kind === "content" ? { ...p } : p);
  }
  return merged;
}

const OUTPUT =
  'Let me check.\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>';

Deno.test("ToolCallParser turns a block into a call at every split position", async (t) => {
  for (let i = 0; i <= OUTPUT.length; i++) {
    await t.step(`split at ${i}`, () => {
      assert.deepEqual(run([OUTPUT.slice(0, i), OUTPUT.slice(i)]), [
        { kind: "content", text: "Let me check.\n" },
        {
          kind: "call",
          call: { id: "call_1", name: "get_weather", arguments: '{"city":"Paris"}' },
        },
      ]);
    });
  }
});

Deno.test("ToolCallParser passes text through at once and holds back only a partial tag", () => {
  const parser = new ToolCallParser(() => "x");
  assert.deepEqual(parser.push("hello <tool"), [{ kind: "content", text: "hello " }]);
  assert.deepEqual(parser.push("box> fine"), [{ kind: "content", text: "<toolbox> fine" }]);
});

Deno.test("ToolCallParser handles several calls, invalid blocks and unclosed blocks", async (t) => {
  await t.step("two calls", () => {
    const out = run([
      '<tool_call>{"name":"a","arguments":{}}</tool_call><tool_call>{"name":"b","arguments":"{\\"x\\":1}"}</tool_call>',
    ]);
    assert.deepEqual(out.map((p) => p.kind === "call" ? p.call.name + p.call.arguments : p.text), [
      "a{}",
      'b{"x":1}',
    ]);
  });
  await t.step("invalid JSON stays text", () => {
    assert.deepEqual(run(["<tool_call>not json</tool_call>"]), [
      { kind: "content", text: "<tool_call>not json</tool_call>" },
    ]);
  });
  await t.step("an unclosed valid block at the end is a call", () => {
    const out = run(['<tool_call>{"name":"f","arguments":{"a":2}}']);
    assert.equal(out[0].kind, "call");
  });
  await t.step("an unclosed invalid block is text", () => {
    assert.deepEqual(run(["<tool_call>{oops"]), [{ kind: "content", text: "<tool_call>{oops" }]);
  });
});

Deno.test("parseToolCall() accepts arguments as an object or a string, requires a name", () => {
  assert.deepEqual(parseToolCall('{"name":"f","arguments":{"b":1}}', "i"), {
    id: "i",
    name: "f",
    arguments: '{"b":1}',
  });
  assert.equal(parseToolCall('{"arguments":{}}', "i"), null);
  assert.equal(parseToolCall("[1]", "i"), null);
});

Deno.test("serializeToolCalls() is canonical regardless of argument whitespace", () => {
  const a = serializeToolCalls([{ id: "1", name: "f", arguments: '{ "city" : "Paris" }' }]);
  const b = serializeToolCalls([{ id: "2", name: "f", arguments: '{"city":"Paris"}' }]);
  assert.equal(a, b);
  assert.equal(a, '<tool_call>{"name":"f","arguments":{"city":"Paris"}}</tool_call>');
});

Deno.test("ToolCallParser streams an unclosed block as soon as it cannot be a call", async (t) => {
  const cases: [string, string[], string][] = [
    ["prose after the tag", ["Sure <tool_call>", " I will", " check"], "Sure <tool_call> I will"],
    [
      "text after the object",
      ["<tool_call>", '{"name":"f"}', " and more"],
      '<tool_call>{"name":"f"} and more',
    ],
  ];
  for (const [name, pieces, streamed] of cases) {
    await t.step(name, () => {
      const parser = new ToolCallParser(() => "id");
      let text = "";
      for (const p of pieces.slice(0, -1)) {
        for (const out of parser.push(p)) if (out.kind === "content") text += out.text;
      }
      for (const out of parser.push(pieces.at(-1)!)) if (out.kind === "content") text += out.text;
      assert.ok(text.startsWith(streamed.slice(0, Math.max(0, streamed.length - 8))), text);
      assert.equal(
        text + parser.flush().map((p) => p.kind === "content" ? p.text : "").join(""),
        pieces.join(""),
      );
    });
  }
  await t.step("a call still being written is held", () => {
    const parser = new ToolCallParser(() => "id");
    assert.deepEqual(parser.push('<tool_call>{"name": "f", "argu'), []);
    const done = parser.push('ments": {}}</tool_call>');
    assert.equal(done[0].kind, "call");
  });
});

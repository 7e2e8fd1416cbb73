import assert from "node:assert/strict";
import OpenAI from "openai";
import { HAS_FIXTURES, loadFixture } from "../support/fixtures.ts";
import { readMockLog } from "../support/mock.ts";
import { type TestServer, withServer } from "../support/server.ts";
import { ABI_VERSIONS, type AbiVersion } from "../../src/rkllm/versions.ts";

const CALL = '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>';
const TOOLS: OpenAI.ChatCompletionTool[] = [{
  type: "function",
  function: {
    name: "get_weather",
    description: "Get the current weather for a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
}];

function serve(
  abi: AbiVersion,
  fn: (server: TestServer, client: OpenAI) => Promise<void>,
): Promise<void> {
  return withServer(
    { abi, env: { RKLLM_MOCK_REPLY: CALL, RKLLM_MOCK_CHUNK: "4" } },
    (server) => fn(server, new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "x" })),
  );
}

for (const abi of ABI_VERSIONS) {
  Deno.test(`[ABI ${abi}] e2e tools: a streamed tool call arrives as tool_calls deltas with finish_reason tool_calls`, async () => {
    await serve(abi, async (server, client) => {
      const stream = await client.chat.completions.create({
        model: "qwen3-1.7b",
        stream: true,
        tools: TOOLS,
        messages: [{ role: "user", content: "What's the weather in Paris?" }],
      });
      const calls: OpenAI.ChatCompletionChunk.Choice.Delta.ToolCall[] = [];
      let content = "";
      let finish: string | null = null;
      for await (const part of stream) {
        calls.push(...(part.choices[0]?.delta?.tool_calls ?? []));
        content += part.choices[0]?.delta?.content ?? "";
        finish = part.choices[0]?.finish_reason ?? finish;
      }
      assert.equal(finish, "tool_calls");
      assert.equal(content.trim(), "");
      assert.equal(calls.length, 1);
      assert.equal(calls[0].function?.name, "get_weather");
      assert.deepEqual(JSON.parse(calls[0].function?.arguments ?? ""), { city: "Paris" });
      assert.match(calls[0].id ?? "", /^call_/);
      const set = (await readMockLog(server.mockLog)).filter((l) =>
        l.fn === "rkllm_set_function_tools"
      );
      assert.equal(set.length, 1);
      assert.match(String(set[0].tools), /get_weather/);
    });
  });

  Deno.test(`[ABI ${abi}] e2e tools: results go back with the tool role as an incremental turn`, async () => {
    await serve(abi, async (server, client) => {
      const question = { role: "user" as const, content: "What's the weather in Paris?" };
      const first = await client.chat.completions.create({
        model: "qwen3-1.7b",
        tools: TOOLS,
        messages: [question],
      });
      const message = first.choices[0].message;
      assert.equal(first.choices[0].finish_reason, "tool_calls");
      assert.equal(message.content, null);
      const call = message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall;
      await client.chat.completions.create({
        model: "qwen3-1.7b",
        tools: TOOLS,
        messages: [
          question,
          { role: "assistant", content: null, tool_calls: [call] },
          { role: "tool", tool_call_id: call.id, content: '{"temperature_c": 11}' },
        ],
      });
      const log = await readMockLog(server.mockLog);
      const runs = log.filter((l) => l.event === "run_start");
      assert.equal(runs[1].role, "tool");
      assert.equal(runs[1].prompt, '{"temperature_c": 11}');
      assert.equal(log.filter((l) => l.fn === "rkllm_set_function_tools").length, 1, "set once");
      assert.equal(log.filter((l) => l.fn === "rkllm_clear_kv_cache").length, 1, "no reset");
    });
  });

  Deno.test(`[ABI ${abi}] e2e tools: tool_choice none leaves tools off and the text as text`, async () => {
    await serve(abi, async (server, client) => {
      const reply = await client.chat.completions.create({
        model: "qwen3-1.7b",
        tools: TOOLS,
        tool_choice: "none",
        messages: [{ role: "user", content: "Weather?" }],
      });
      assert.equal(reply.choices[0].finish_reason, "stop");
      assert.match(reply.choices[0].message.content ?? "", /tool_call/);
      const log = await readMockLog(server.mockLog);
      assert.equal(log.filter((l) => l.fn === "rkllm_set_function_tools").length, 0);
    });
  });

  Deno.test({
    name: `[ABI ${abi}] e2e tools: the Open WebUI tool fixtures round-trip`,
    ignore: !HAS_FIXTURES,
    fn: async () => {
      await serve(abi, async (server) => {
        for (const name of ["tools_call.json", "tools_result.json"]) {
          const res = await fetch(`${server.url}/v1/chat/completions`, {
            method: "POST",
            body: JSON.stringify(loadFixture(name)),
          });
          assert.equal(res.status, 200, name);
          await res.text();
        }
        const runs = (await readMockLog(server.mockLog)).filter((l) => l.event === "run_start");
        assert.equal(runs.length, 2);
        assert.equal(runs[1].role, "tool");
      });
    },
  });
}

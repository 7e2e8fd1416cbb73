/**
 * The clients people build on, against the real server (main.ts serve) on the mock runtime: the
 * Vercel AI SDK with its OpenAI provider (`openai(id)` = the Responses API, `openai.chat(id)`)
 * and its OpenAI-compatible provider, and LangChain's ChatOpenAI / OpenAIEmbeddings. Chat,
 * streaming, reasoning, tool calls, structured output and embeddings. The packages are test-only
 * dependencies (pinned in deno.json; nothing under src/ imports them, so the binary has none).
 */
import assert from "node:assert/strict";
import { createOpenAI } from "@ai-sdk/openai";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { ChatOpenAI, OpenAIEmbeddings } from "@langchain/openai";
import { embedMany, generateText, jsonSchema, Output, streamText, tool } from "ai";
import { type TestServer, withServer } from "../support/server.ts";

const REPLY = "Paris is the capital of France.";
const TOOL_REPLY =
  '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>';
const JSON_REPLY = '{"city": "Paris", "population": 2100000}';
const CITY = {
  type: "object",
  properties: { city: { type: "string" }, population: { type: "integer" } },
  required: ["city", "population"],
  additionalProperties: false,
} as const;

/** A server whose mock model always answers `reply` (Qwen3 thinks first, Phi does not). */
function serve(reply: string, fn: (server: TestServer) => Promise<void>): Promise<void> {
  return withServer({ env: { RKLLM_MOCK_REPLY: reply, RKLLM_MOCK_THINK: "1" } }, fn);
}

const providers = (url: string) => ({
  openai: createOpenAI({ baseURL: `${url}/v1`, apiKey: "unused" }),
  // Without supportsStructuredOutputs the provider sends json_object and drops the schema.
  compatible: createOpenAICompatible({
    name: "rkllm",
    baseURL: `${url}/v1`,
    apiKey: "unused",
    supportsStructuredOutputs: true,
  }),
});

/** The AI SDK's three ways to reach the server's chat: Responses, Chat Completions, compatible. */
function aiSdkChatModels(url: string) {
  const { openai, compatible } = providers(url);
  return [
    ["openai(id) (Responses)", openai("phi")],
    ["openai.chat(id) (Chat Completions)", openai.chat("phi")],
    ["openai-compatible", compatible.chatModel("phi")],
  ] as const;
}

const langchain = (url: string, model: string) =>
  new ChatOpenAI({
    model,
    apiKey: "unused",
    configuration: { baseURL: `${url}/v1` },
    maxRetries: 0,
  });

Deno.test("clients: AI SDK and LangChain chat, stream, reason and embed", async (t) => {
  await serve(REPLY, async (server) => {
    const { openai, compatible } = providers(server.url);

    await t.step("AI SDK openai(id): generateText over the Responses API", async () => {
      const r = await generateText({ model: openai("phi"), prompt: "Capital of France?" });
      assert.equal(r.text, REPLY);
      assert.ok((r.usage.inputTokens ?? 0) > 0 && (r.usage.outputTokens ?? 0) > 0);
    });

    await t.step("AI SDK openai(id): streamText over the Responses API", async () => {
      const r = streamText({ model: openai("phi"), prompt: "Capital of France?" });
      const parts: string[] = [];
      for await (const delta of r.textStream) parts.push(delta);
      assert.ok(parts.length > 1, "several deltas");
      assert.equal(parts.join(""), REPLY);
    });

    await t.step(
      "AI SDK openai.chat(id): text; reasoning_content is not read (client limit)",
      async () => {
        const r = await generateText({ model: openai.chat("qwen3-1.7b"), prompt: "Capital?" });
        assert.equal(r.text, REPLY);
        assert.ok(!r.reasoningText, "the openai provider ignores reasoning_content");
      },
    );

    await t.step("AI SDK openai-compatible: text and the reasoning, streamed", async () => {
      const r = streamText({ model: compatible.chatModel("qwen3-1.7b"), prompt: "Capital?" });
      let text = "";
      let reasoning = "";
      for await (const part of r.fullStream) {
        if (part.type === "text-delta") text += part.text;
        if (part.type === "reasoning-delta") reasoning += part.text;
      }
      assert.equal(text, REPLY);
      assert.ok(reasoning.trim().length > 0, "reasoning_content arrives as reasoning");
      assert.ok(!text.includes("<think>"));
    });

    await t.step("AI SDK embedMany with both providers", async () => {
      for (const model of [openai.embedding("phi"), compatible.embeddingModel("phi")]) {
        const { embeddings } = await embedMany({ model, values: ["first text", "second text"] });
        assert.equal(embeddings.length, 2);
        const norm = Math.hypot(...embeddings[0]);
        assert.ok(Math.abs(norm - 1) < 1e-3, `unit length, got ${norm}`);
        assert.notDeepEqual(embeddings[0], embeddings[1]);
      }
    });

    await t.step("LangChain ChatOpenAI: invoke and stream", async () => {
      const chat = langchain(server.url, "phi");
      const message = await chat.invoke("Capital of France?");
      assert.equal(message.content, REPLY);
      let streamed = "";
      let chunks = 0;
      for await (const chunk of await chat.stream("Capital of France?")) {
        streamed += chunk.content;
        chunks++;
      }
      assert.ok(chunks > 1);
      assert.equal(streamed, REPLY);
    });

    await t.step("LangChain ChatOpenAI over the Responses API", async () => {
      const chat = new ChatOpenAI({
        model: "phi",
        apiKey: "unused",
        configuration: { baseURL: `${server.url}/v1` },
        useResponsesApi: true,
        maxRetries: 0,
      });
      const message = await chat.invoke("Capital of France?");
      assert.equal(message.text, REPLY);
    });

    await t.step("LangChain OpenAIEmbeddings", async () => {
      const embeddings = new OpenAIEmbeddings({
        model: "phi",
        apiKey: "unused",
        configuration: { baseURL: `${server.url}/v1` },
      });
      const [a, b] = await embeddings.embedDocuments(["first text", "second text"]);
      const q = await embeddings.embedQuery("first text");
      assert.equal(a.length, q.length);
      assert.ok(a.every((x, i) => Math.abs(x - q[i]) < 1e-6), "same text, same vector");
      assert.notDeepEqual(a, b);
    });
  });
});

Deno.test("clients: tool calls reach the AI SDK and LangChain", async (t) => {
  await serve(TOOL_REPLY, async (server) => {
    const getWeather = tool({
      description: "Current weather of a city",
      inputSchema: jsonSchema<{ city: string }>({
        type: "object",
        properties: { city: { type: "string" } },
        required: ["city"],
      }),
    });
    for (const [name, model] of aiSdkChatModels(server.url)) {
      await t.step(`AI SDK ${name}`, async () => {
        const tools = { get_weather: getWeather };
        const r = await generateText({ model, prompt: "Weather in Paris?", tools });
        assert.equal(r.finishReason, "tool-calls");
        assert.deepEqual(r.toolCalls.map((c) => [c.toolName, c.input]), [
          ["get_weather", { city: "Paris" }],
        ]);
      });
    }

    await t.step("LangChain bindTools", async () => {
      const chat = langchain(server.url, "phi").bindTools([{
        type: "function",
        function: {
          name: "get_weather",
          description: "Current weather of a city",
          parameters: { type: "object", properties: { city: { type: "string" } } },
        },
      }]);
      const message = await chat.invoke("Weather in Paris?");
      assert.deepEqual(message.tool_calls?.map((c) => [c.name, c.args]), [
        ["get_weather", { city: "Paris" }],
      ]);
    });
  });
});

Deno.test("clients: structured output through the AI SDK and LangChain is checked", async (t) => {
  await serve(JSON_REPLY, async (server) => {
    const { openai } = providers(server.url);
    const schema = jsonSchema<{ city: string; population: number }>(CITY);
    for (const [name, model] of aiSdkChatModels(server.url)) {
      await t.step(`AI SDK ${name}`, async () => {
        const output = Output.object({ schema });
        const r = await generateText({ model, prompt: "Paris?", output });
        assert.deepEqual(r.output, { city: "Paris", population: 2100000 });
      });
    }

    await t.step("LangChain withStructuredOutput (json_schema)", async () => {
      const chat = langchain(server.url, "phi").withStructuredOutput(CITY, {
        name: "city",
        method: "jsonSchema",
      });
      assert.deepEqual(await chat.invoke("Paris?"), { city: "Paris", population: 2100000 });
    });

    await t.step("a schema the answer does not meet is a 422, not a claimed success", async () => {
      const strict = jsonSchema<{ country: string }>({
        type: "object",
        properties: { country: { type: "string" } },
        required: ["country"],
      });
      await assert.rejects(
        generateText({
          model: openai.chat("phi"),
          prompt: "Paris?",
          output: Output.object({ schema: strict }),
          maxRetries: 0,
        }),
        (err: Error & { statusCode?: number }) => {
          assert.equal(err.statusCode, 422);
          assert.match(err.message, /required property "country"/i);
          return true;
        },
      );
    });
  });
});

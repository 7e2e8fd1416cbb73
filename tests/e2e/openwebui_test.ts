import assert from "node:assert/strict";
import { HAS_FIXTURES, loadFixture } from "../support/fixtures.ts";
import { readMockLog } from "../support/mock.ts";
import { readSse, type TestServer, withServer } from "../support/server.ts";

const ignore = !HAS_FIXTURES;

function serve(
  env: Record<string, string>,
  fn: (server: TestServer) => Promise<void>,
  args: string[] = [],
): Promise<void> {
  return withServer({ env: { RKLLM_MOCK_TOKENS: "8", ...env }, args }, fn);
}

/** The follow-ups task with its whole prompt on the model (the default asks the cached chat). */
const MODEL_FOLLOW_UPS = ["--task-modes", "follow_ups=model"];

async function send(server: TestServer, body: unknown) {
  const res = await fetch(`${server.url}/v1/chat/completions`, {
    method: "POST",
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200);
  if ((body as { stream?: boolean }).stream) {
    const chunks = (await readSse(res)).data.filter((d) => d !== "[DONE]").map((d) =>
      JSON.parse(d)
    );
    return chunks.map((c) => c.choices?.[0]?.delta?.content ?? "").join("");
  }
  return (await res.json()).choices[0].message.content as string;
}

const runs = async (server: TestServer) =>
  (await readMockLog(server.mockLog)).filter((l) => l.event === "run_start");

Deno.test({
  name: "e2e Open WebUI: a web-search request is cleaned, packed with source ids, then cached",
  ignore,
  fn: async () => {
    await serve({}, async (server) => {
      const request = loadFixture("rag_web_search.json");
      const first = await send(server, request);
      const [run] = await runs(server);
      const prompt = run.prompt as string;
      const original = JSON.stringify(request.messages).length;
      console.log(`rag_web_search.json: request ${original} chars → prompt ${prompt.length} chars`);
      assert.match(prompt, /\[1\]/);
      assert.match(prompt, /\[2\]/);
      assert.match(prompt, /14 tokens per second/);
      for (
        const junk of [
          "Jump to content",
          "Accept all cookies",
          "Privacy policy",
          "Powered by Discourse",
        ]
      ) {
        assert.ok(!prompt.includes(junk), junk);
      }
      assert.ok(!prompt.includes("### Task:"), "Open WebUI's instructions are restructured");
      assert.equal(run.enable_thinking, false, "thinking is off for RAG below 8192 context");
      // The same search again replays the stored answer without the NPU.
      const second = await send(server, request);
      assert.equal(second, first);
      assert.equal((await runs(server)).length, 1);
    });
  },
});

Deno.test({
  name: "e2e Open WebUI: background tasks answer in the JSON shapes Open WebUI parses",
  ignore,
  fn: async () => {
    await serve({}, async (server) => {
      const shapes: [string, string][] = [
        ["task_title.json", "title"],
        ["task_tags.json", "tags"],
        ["task_search_queries.json", "queries"],
        ["task_follow_ups.json", "follow_ups"],
      ];
      for (const [file, key] of shapes) {
        const t0 = performance.now();
        const reply = JSON.parse(await send(server, loadFixture(file)));
        const ms = performance.now() - t0;
        assert.ok(key in reply, `${file}: ${JSON.stringify(reply)}`);
        console.log(`${file}: ${ms.toFixed(1)} ms → ${JSON.stringify(reply)}`);
      }
      const taskRuns = await runs(server);
      assert.equal(taskRuns.length, 1, "only follow-ups (in model mode) used the NPU");
      assert.equal(taskRuns[0].keep_history, 0);
      assert.equal(taskRuns[0].enable_thinking, false);
    }, MODEL_FOLLOW_UPS);
  },
});

async function chatThenTasksThenChat(server: TestServer): Promise<string[]> {
  const chat = loadFixture("chat_stream.json");
  const answer = await send(server, chat);
  await send(server, loadFixture("task_title.json"));
  await send(server, loadFixture("task_follow_ups.json"));
  await send(server, {
    ...chat,
    messages: [
      ...chat.messages,
      { role: "assistant", content: answer },
      { role: "user", content: "And how many people live there?" },
    ],
  });
  return (await runs(server)).map((r) => r.prompt as string);
}

Deno.test({
  name: "e2e Open WebUI: chat, then its tasks, then the next turn is still incremental",
  ignore,
  fn: async () => {
    await serve({ RKLLM_MOCK_KEEP0: "rollback" }, async (server) => {
      const prompts = await chatThenTasksThenChat(server);
      assert.equal(prompts.length, 3, "chat, follow-up task, chat");
      assert.equal(prompts[2], "And how many people live there?");
      const clears = (await readMockLog(server.mockLog)).filter((l) =>
        l.fn === "rkllm_clear_kv_cache"
      );
      assert.equal(clears.length, 1, "only the first turn reset the cache");
    }, MODEL_FOLLOW_UPS);
  },
});

Deno.test({
  name: "e2e Open WebUI: when a keep_history=0 run empties the cache, the next turn resets",
  ignore,
  fn: async () => {
    await serve({ RKLLM_MOCK_KEEP0: "clear" }, async (server) => {
      const prompts = await chatThenTasksThenChat(server);
      assert.match(
        prompts[2],
        /^Answer concisely\.\nUser: What is the capital of France\?\nAssistant: /,
      );
    }, MODEL_FOLLOW_UPS);
  },
});

Deno.test({
  name: "e2e Open WebUI: with every task as a shortcut the conversation never leaves the cache",
  ignore,
  fn: async () => {
    await serve({}, async (server) => {
      const prompts = await chatThenTasksThenChat(server);
      assert.equal(prompts.length, 2);
      assert.equal(prompts[1], "And how many people live there?");
    }, ["--task-modes", "follow_ups=shortcut,autocomplete=shortcut"]);
  },
});

Deno.test({
  name: "e2e Open WebUI: a RAG turn continues the conversation incrementally when it fits",
  ignore,
  fn: async () => {
    await serve({}, async (server) => {
      const chat = loadFixture("chat_stream.json");
      const answer = await send(server, chat);
      const rag = loadFixture("rag_web_search.json");
      const ragUser = rag.messages.at(-1)!;
      const ragAnswer = await send(server, {
        ...chat,
        messages: [...chat.messages, { role: "assistant", content: answer }, ragUser],
      });
      const followUp = await send(server, {
        ...chat,
        messages: [
          ...chat.messages,
          { role: "assistant", content: answer },
          { role: "user", content: "How fast can the Orange Pi 5 Plus NPU run Qwen3 1.7B?" },
          { role: "assistant", content: ragAnswer },
          { role: "user", content: "tell me more" },
        ],
      });
      assert.ok(followUp.length > 0);
      const prompts = (await runs(server)).map((r) => r.prompt as string);
      assert.match(prompts[1], /\[1\]/, "the RAG turn sent only the packed context");
      assert.ok(!prompts[1].includes("capital of France"));
      assert.equal(prompts[2], "tell me more");
      const clears = (await readMockLog(server.mockLog)).filter((l) =>
        l.fn === "rkllm_clear_kv_cache"
      );
      assert.equal(clears.length, 1);
    });
  },
});

Deno.test("e2e: Home Assistant prompts run without thinking", async () => {
  await serve({ RKLLM_MOCK_THINK: "1" }, async (server) => {
    await send(server, {
      model: "qwen3-1.7b",
      messages: [
        {
          role: "system",
          content: "You are the smart home manager of Home Assistant. Available Devices: lamp",
        },
        { role: "user", content: "turn on the lamp" },
      ],
    });
    assert.equal((await runs(server))[0].enable_thinking, false);
  });
});

import assert from "node:assert/strict";
import type { ChatEngine } from "../../src/engine/chat_engine.ts";
import type { ChatRequest } from "../../src/engine/types.ts";
import { mockEngine } from "../support/engine.ts";
import { withEnv } from "../support/mock.ts";

async function withEngine(fn: (engine: ChatEngine) => Promise<void>): Promise<void> {
  const { engine, dispose } = await mockEngine({ Phi: "phi.rkllm" });
  try {
    await withEnv({ RKLLM_MOCK_TOKENS: "200", RKLLM_MOCK_TOKEN_MS: "2" }, () => fn(engine));
  } finally {
    await dispose();
  }
}

const request = (id: string): ChatRequest => ({
  requestId: id,
  model: "phi",
  messages: [{ role: "user", content: "hello" }],
  stop: [],
  sampling: {},
});

function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no result within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

Deno.test("ChatEngine: a generation cancelled before its events are read still frees the NPU", async () => {
  await withEngine(async (engine) => {
    const first = await engine.start(request("first"));
    first.cancel(); // the client left before the first event was read
    const second = await within(3000, engine.start(request("second")));
    let content = "";
    for await (const event of second.events) if (event.type === "content") content += event.text;
    assert.ok(content.length > 0);
    assert.equal(engine.status().busy, false);
  });
});

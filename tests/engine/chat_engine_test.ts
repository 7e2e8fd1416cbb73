import assert from "node:assert/strict";
import { ChatEngine } from "../../src/engine/chat_engine.ts";
import { Scheduler } from "../../src/engine/scheduler.ts";
import type { ChatRequest } from "../../src/engine/types.ts";
import { silentLogger } from "../../src/log.ts";
import { scanModels } from "../../src/models/discovery.ts";
import { ModelRegistry } from "../../src/models/registry.ts";
import { RagCache } from "../../src/rag/cache.ts";
import { RkllmBackend } from "../../src/rkllm/runtime.ts";
import { parseTaskModes } from "../../src/tasks/settings.ts";
import { makeModelsDir, mockLibrary, withEnv } from "../support/mock.ts";

async function withEngine(fn: (engine: ChatEngine) => Promise<void>): Promise<void> {
  const dir = await makeModelsDir({ Phi: "phi.rkllm" });
  const backend = await RkllmBackend.open(mockLibrary());
  const scheduler = new Scheduler(
    backend,
    { queueDepth: 4, queueTimeoutMs: 0, idleUnloadMs: 0 },
    silentLogger,
  );
  const engine = new ChatEngine(new ModelRegistry((await scanModels(dir)).models), scheduler, {
    firstTokenTimeoutMs: 5000,
    totalTimeoutMs: 5000,
    cpuMask: 0xf0,
    baseDomainId: 0,
    embedFlash: true,
    perRunSampling: false,
    taskModes: parseTaskModes(""),
    taskMaxTokens: 16,
    ragCache: new RagCache({ ttlMs: 0, now: Date.now }),
  }, silentLogger);
  try {
    await withEnv({ RKLLM_MOCK_TOKENS: "200", RKLLM_MOCK_TOKEN_MS: "2" }, () => fn(engine));
  } finally {
    await scheduler.close(1000);
    backend.close();
    await Deno.remove(dir, { recursive: true });
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

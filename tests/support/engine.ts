/**
 * The real engine in-process: scheduler, ChatEngine and the FFI binding on the mock runtime,
 * over a temporary models folder. For tests and the bench that need the server's code path
 * without a socket.
 */
import { ChatEngine, type ChatEngineOptions } from "../../src/engine/chat_engine.ts";
import { Scheduler } from "../../src/engine/scheduler.ts";
import { silentLogger } from "../../src/log.ts";
import { scanModels } from "../../src/models/discovery.ts";
import { ModelRegistry } from "../../src/models/registry.ts";
import { RagCache } from "../../src/rag/cache.ts";
import { RkllmBackend } from "../../src/rkllm/runtime.ts";
import { parseTaskModes } from "../../src/tasks/settings.ts";
import { makeModelsDir, mockLibrary } from "./mock.ts";

export interface MockEngine {
  engine: ChatEngine;
  scheduler: Scheduler;
  registry: ModelRegistry;
  /** The temporary models folder (removed by `dispose`). */
  dir: string;
  dispose(): Promise<void>;
}

/**
 * The engine settings tests use. Calibration is off: its probe runs would show in every mock log
 * (and spend a scripted NPU's replies) unless a test asks for them.
 */
export function testEngineOptions(over: Partial<ChatEngineOptions> = {}): ChatEngineOptions {
  return {
    firstTokenTimeoutMs: 5_000,
    totalTimeoutMs: 10_000,
    abortGraceMs: 10_000,
    cpuMask: 0xf0,
    baseDomainId: 0,
    embedFlash: true,
    perRunSampling: false,
    taskModes: parseTaskModes(""),
    taskMaxTokens: 16,
    ragCache: new RagCache({ ttlMs: 0, now: Date.now }),
    calibrate: false,
    ...over,
  };
}

export async function mockEngine(
  models: Record<string, string>,
  opts: { maxNewTokens?: number } = {},
): Promise<MockEngine> {
  const dir = await makeModelsDir(models);
  const registry = new ModelRegistry(
    (await scanModels(dir, { defaultMaxNewTokens: opts.maxNewTokens })).models,
  );
  const backend = await RkllmBackend.open(mockLibrary());
  const scheduler = new Scheduler(
    backend,
    { queueDepth: 4, queueTimeoutMs: 0, idleUnloadMs: 0 },
    silentLogger,
  );
  const engine = new ChatEngine(
    registry,
    scheduler,
    testEngineOptions({
      firstTokenTimeoutMs: 60_000,
      totalTimeoutMs: 60_000,
    }),
    silentLogger,
  );
  return {
    engine,
    scheduler,
    registry,
    dir,
    async dispose() {
      await scheduler.close(1000);
      backend.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

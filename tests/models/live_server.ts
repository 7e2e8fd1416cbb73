/**
 * The server wired as `serve` wires it, in-process on a loopback port over the mock runtime, with
 * the live models folder (`watchModels`) and model management (`createModelAdmin`): for the
 * end-to-end tests of the watcher and of /api/pull and /api/delete.
 */
import { createApp } from "../../src/app.ts";
import { ChatEngine } from "../../src/engine/chat_engine.ts";
import { Scheduler } from "../../src/engine/scheduler.ts";
import { type Logger, silentLogger } from "../../src/log.ts";
import { createModelAdmin } from "../../src/models/admin.ts";
import { scanModels } from "../../src/models/discovery.ts";
import { ModelRegistry } from "../../src/models/registry.ts";
import { type ModelWatcher, watchModels, type WatchOptions } from "../../src/models/watch.ts";
import { RagCache } from "../../src/rag/cache.ts";
import { RkllmBackend } from "../../src/rkllm/runtime.ts";
import { parseTaskModes } from "../../src/tasks/settings.ts";
import { mockLibrary } from "../support/mock.ts";

export interface LiveServer {
  url: string;
  registry: ModelRegistry;
  watcher: ModelWatcher;
  scheduler: Scheduler;
  close(): Promise<void>;
}

export async function startLiveServer(
  modelsDir: string,
  opts: { watch?: Partial<WatchOptions>; hubEndpoint?: string; log?: Logger } = {},
): Promise<LiveServer> {
  const log = opts.log ?? silentLogger;
  const registry = new ModelRegistry((await scanModels(modelsDir)).models);
  const watcher = watchModels(modelsDir, registry, { log, ...opts.watch });
  const backend = await RkllmBackend.open(mockLibrary());
  const scheduler = new Scheduler(
    backend,
    { queueDepth: 4, queueTimeoutMs: 0, idleUnloadMs: 0 },
    log,
  );
  const engine = new ChatEngine(registry, scheduler, {
    firstTokenTimeoutMs: 60_000,
    totalTimeoutMs: 60_000,
    cpuMask: 0xf0,
    baseDomainId: 0,
    embedFlash: true,
    perRunSampling: false,
    taskModes: parseTaskModes(""),
    taskMaxTokens: 16,
    ragCache: new RagCache({ ttlMs: 0, now: Date.now }),
  }, log);
  const admin = createModelAdmin({
    modelsDir,
    hubEndpoint: opts.hubEndpoint,
    registry,
    modelsInUse: () => {
      const s = scheduler.status();
      return [s.loadedModel, s.loadingModel].filter((id) => id !== null);
    },
    refresh: () => watcher.refresh(),
  });
  const app = createApp({
    service: engine,
    log,
    keepAliveSeconds: 0,
    maxBodyBytes: 1 << 20,
    runtime: "mock",
    modelAdmin: admin,
  });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app.fetch);
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    registry,
    watcher,
    scheduler,
    async close() {
      await server.shutdown();
      await watcher.close();
      await scheduler.close(1000);
      backend.close();
    },
  };
}

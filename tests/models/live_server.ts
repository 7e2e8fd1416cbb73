/**
 * The server wired as `serve` wires it, in-process on a loopback port over the mock runtime, with
 * the live models folder (`watchModels`) and model management (`createModelAdmin`): for the
 * end-to-end tests of the watcher and of /api/pull and /api/delete.
 */
import { createApp } from "../../src/app.ts";
import { type Logger, silentLogger } from "../../src/log.ts";
import { createModelAdmin } from "../../src/models/admin.ts";
import { type ModelWatcher, watchModels, type WatchOptions } from "../../src/models/watch.ts";
import { type MockEngine, mockEngine } from "../support/engine.ts";

export interface LiveServer extends MockEngine {
  url: string;
  watcher: ModelWatcher;
  /** Stops the server and the watcher, unloads, and removes the models folder. */
  close(): Promise<void>;
}

export async function startLiveServer(
  models: Record<string, string>,
  opts: { watch?: Partial<WatchOptions>; hubEndpoint?: string; log?: Logger } = {},
): Promise<LiveServer> {
  const log = opts.log ?? silentLogger;
  const mock = await mockEngine(models);
  const watcher = watchModels(mock.dir, mock.registry, { log, ...opts.watch });
  const admin = createModelAdmin({
    modelsDir: mock.dir,
    hubEndpoint: opts.hubEndpoint,
    registry: mock.registry,
    modelsInUse: () => {
      const s = mock.scheduler.status();
      return [s.loadedModel, s.loadingModel].filter((id) => id !== null);
    },
    refresh: () => watcher.refresh(),
  });
  const app = createApp({
    service: mock.engine,
    log,
    keepAliveSeconds: 0,
    maxBodyBytes: 1 << 20,
    runtime: "mock",
    modelAdmin: admin,
  });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app.fetch);
  return {
    ...mock,
    url: `http://127.0.0.1:${server.addr.port}`,
    watcher,
    async close() {
      await server.shutdown();
      await watcher.close();
      await mock.dispose();
    },
  };
}

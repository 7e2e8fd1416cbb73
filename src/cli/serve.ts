/**
 * `rkllm-api serve`: scan the models, open the runtime library, build the scheduler, the engine
 * and the app, and listen (src/http/server.ts). SIGINT/SIGTERM stop accepting, abort the running
 * generation, destroy the model and return within 5 s. A port that is taken is one line naming
 * the fix (doctor's words), not a stack trace.
 * With doctor.ts, the only CLI module that opens the runtime library.
 */
import { createApp } from "../app.ts";
import type { ResolvedConfig } from "../config.ts";
import { portInUse } from "../doctor/checks.ts";
import { ChatEngine } from "../engine/chat_engine.ts";
import { PromptFileStore } from "../engine/prompt_files.ts";
import { Scheduler } from "../engine/scheduler.ts";
import { createModelAdmin } from "../models/admin.ts";
import { watchModels } from "../models/watch.ts";
import { serveHttp, SHUTDOWN_GRACE_MS } from "../http/server.ts";
import type { Logger } from "../log.ts";
import { readNpuStats } from "../metrics/npu_sysfs.ts";
import { ServerMetrics } from "../metrics/server_metrics.ts";
import { RagCache } from "../rag/cache.ts";
import { fileExists, findLibrary } from "../rkllm/library_path.ts";
import { RkllmBackend } from "../rkllm/runtime.ts";
import { VERSION } from "../version.ts";
import { libraryCandidates } from "./doctor.ts";
import { discoverModels, scanOptions } from "./models.ts";

/** EX_SOFTWARE: a wedged runtime; the systemd unit restarts on failure. */
const WEDGED_EXIT_CODE = 70;

/** The folder of saved KV caches; none when disabled or not writable (logged). */
async function promptFiles(config: ResolvedConfig, log: Logger): Promise<PromptFileStore | null> {
  if (config.prompt_cache_max_mb === 0) return null;
  try {
    return await PromptFileStore.open(
      config.prompt_cache_dir,
      config.prompt_cache_max_mb * 2 ** 20,
    );
  } catch (err) {
    log.warn("main", "saved KV caches are off: the folder is not usable", {
      dir: config.prompt_cache_dir,
      error: String(err),
    });
    return null;
  }
}

/** Why the server cannot listen, in one line with the fix; null for an unexpected error. */
export function listenFailure(err: unknown, host: string, port: number): string | null {
  if (err instanceof Deno.errors.AddrInUse) {
    const { detail, fix } = portInUse(host, port);
    return `cannot listen: ${detail}; fix: ${fix}`;
  }
  if (err instanceof Deno.errors.AddrNotAvailable) {
    return `cannot listen on ${host}:${port}: no such address on this machine; fix: choose --host`;
  }
  if (err instanceof Deno.errors.PermissionDenied) {
    return `cannot listen on ${host}:${port}: permission denied; fix: use a port above 1023`;
  }
  return null;
}

/** Exit code: 0 after a clean shutdown, 1 when the server could not listen. */
export async function serve(config: ResolvedConfig, log: Logger): Promise<number> {
  const registry = await discoverModels(config, log);
  const backend = await RkllmBackend.open(
    findLibrary(libraryCandidates(config), fileExists),
    config.abi,
    { rknnLibPath: config.rknn_lib_path || undefined },
  );
  log.info("runtime", "library opened", { library: backend.description });
  const metrics = new ServerMetrics();
  const scheduler = new Scheduler(
    backend,
    {
      queueDepth: config.queue_depth,
      queueTimeoutMs: config.ms.queue_timeout,
      idleUnloadMs: config.ms.idle_unload,
    },
    log,
    metrics,
  );
  const watcher = watchModels(config.models_dir, registry, {
    log,
    scan: scanOptions(config),
    watch: config.watch_models,
    pollMs: config.ms.models_rescan_interval,
  });
  const engine = new ChatEngine(registry, scheduler, {
    firstTokenTimeoutMs: config.ms.first_token_timeout,
    totalTimeoutMs: config.ms.generation_timeout,
    abortGraceMs: config.ms.abort_grace,
    onWedged: () => {
      if (!config.exit_on_wedged) return;
      // A native call cannot be killed from JS: leave, so the service manager starts afresh.
      log.error("main", "exiting: the NPU runtime is wedged", { code: WEDGED_EXIT_CODE });
      setTimeout(() => Deno.exit(WEDGED_EXIT_CODE), 1000);
    },
    onLoadFailed: () => watcher.refresh(),
    cpuMask: config.cpuMask,
    baseDomainId: config.base_domain_id,
    embedFlash: config.embed_flash,
    perRunSampling: backend.perRunSampling,
    taskModes: config.taskModes,
    taskMaxTokens: config.task_max_tokens,
    visionCoreMask: config.vision_core_mask,
    vision: {
      maxImageBytes: config.max_image_bytes,
      maxImagePixels: config.max_image_pixels,
      maxImagesPerRequest: config.max_images_per_request,
      remoteImages: config.remote_images,
      remoteImageTimeoutMs: config.remote_image_timeout_ms,
    },
    ragCache: new RagCache({ ttlMs: config.ms.rag_cache_ttl, now: Date.now }),
    promptFiles: await promptFiles(config, log),
    calibrate: config.kv_calibration,
    observer: metrics,
  }, log);
  const modelAdmin = createModelAdmin({
    modelsDir: config.models_dir,
    hubEndpoint: config.env.hfEndpoint,
    hubToken: config.env.hfToken,
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
    keepAliveSeconds: config.keepalive_interval,
    writeStallMs: config.ms.write_stall_timeout,
    maxBodyBytes: config.max_body_bytes,
    maxMessages: config.max_messages,
    apiKey: config.apiKey,
    corsOrigins: config.corsOrigins === "*" ? "*" : [...config.corsOrigins],
    runtime: backend.description,
    modelAdmin,
    metrics,
    npuStats: () => readNpuStats(config.env.rkllmRoot),
  });

  let server;
  try {
    server = serveHttp({
      hostname: config.host,
      port: config.port,
      handler: (request, deadline) => app.fetch(request, deadline),
      limits: {
        headerTimeoutMs: config.ms.header_timeout,
        idleTimeoutMs: config.ms.connection_idle_timeout,
        bodyTimeoutMs: config.ms.body_timeout,
      },
      log,
      onListen: ({ hostname, port }) => {
        log.info("http", "listening", { url: `http://${hostname}:${port}`, version: VERSION });
      },
    });
  } catch (err) {
    const why = listenFailure(err, config.host, config.port);
    if (why === null) throw err;
    log.error("main", why);
    await watcher.close();
    await scheduler.close(SHUTDOWN_GRACE_MS);
    backend.close();
    return 1;
  }

  // serve() returns only when shutdown has finished: the HTTP server draining first must not
  // let the process exit before the model is destroyed.
  const stopped = Promise.withResolvers<void>();
  let shuttingDown = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    log.info("main", "shutting down", { signal });
    const force = setTimeout(() => {
      log.error("main", "shutdown took too long; exiting");
      Deno.exit(0);
    }, SHUTDOWN_GRACE_MS + 1000);
    // Stop accepting; open streams end once the scheduler has interrupted their generation.
    const drained = server.shutdown();
    await watcher.close();
    await scheduler.close(SHUTDOWN_GRACE_MS).catch((err) =>
      log.error("main", "unloading failed", { error: String(err) })
    );
    await drained;
    backend.close();
    clearTimeout(force);
    log.info("main", "stopped");
    stopped.resolve();
  };
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(sig, () => void shutdown(sig));
  }
  await stopped.promise;
  return 0;
}

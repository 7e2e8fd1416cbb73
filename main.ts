/**
 * Entry point: resolve config → scan models → open the runtime library → scheduler + engine →
 * app → Deno.serve. SIGINT/SIGTERM stop accepting, abort the running generation, destroy the
 * model and exit 0 within 5 s. Subcommands: serve (default), models.
 * The only module besides src/rkllm/ that imports src/rkllm/.
 */
import { createApp } from "./src/app.ts";
import { type Config, helpText, loadConfig, parseArgs } from "./src/config.ts";
import { ChatEngine } from "./src/engine/chat_engine.ts";
import { PromptFileStore } from "./src/engine/prompt_files.ts";
import { Scheduler } from "./src/engine/scheduler.ts";
import { ConfigError, RkllmError } from "./src/errors.ts";
import { createLogger, type Logger } from "./src/log.ts";
import { scanModels } from "./src/models/discovery.ts";
import { ModelRegistry } from "./src/models/registry.ts";
import { RagCache } from "./src/rag/cache.ts";
import { readNpuStats } from "./src/metrics/npu_sysfs.ts";
import { ServerMetrics } from "./src/metrics/server_metrics.ts";
import type { TaskKind } from "./src/tasks/detect.ts";
import { parseTaskModes, type TaskMode } from "./src/tasks/settings.ts";
import { candidatePaths, fileExists, findLibrary } from "./src/rkllm/library_path.ts";
import { RkllmBackend } from "./src/rkllm/runtime.ts";
import { identifyLibrary, type LibraryIdentity } from "./src/rkllm/library_version.ts";
import { type DoctorFacts, formatReport, runChecks } from "./src/doctor/checks.ts";
import { gatherFacts } from "./src/doctor/gather.ts";
import { VERSION } from "./src/version.ts";

const SHUTDOWN_GRACE_MS = 4000;
/** EX_SOFTWARE: a wedged runtime; the systemd unit restarts on failure. */
const WEDGED_EXIT_CODE = 70;

async function discoverModels(config: Config, log: Logger): Promise<ModelRegistry> {
  const scan = await scanModels(config.models_dir, {
    defaultContext: config.default_context,
    defaultMaxNewTokens: config.max_new_tokens,
  });
  for (const warning of scan.warnings) log.warn("models", warning);
  const registry = new ModelRegistry(scan.models);
  for (const m of registry.list()) {
    log.info("models", "found", {
      id: m.id,
      context: m.contextLength,
      aliases: registry.aliasesOf(m.id).join(",") || undefined,
      file: m.fileName,
    });
  }
  if (registry.size === 0) {
    log.warn("models", `no models found in ${config.models_dir}`, {
      hint: "put each model in its own folder: <models>/<Model-Name>/<file>.rkllm",
    });
  }
  return registry;
}

/** The API key from the setting, else the first line of the key file; "" = no key. */
async function apiKey(config: Config): Promise<string> {
  if (config.api_key) return config.api_key;
  if (!config.api_key_file) return "";
  try {
    const key = (await Deno.readTextFile(config.api_key_file)).split("\n")[0].trim();
    if (!key) throw new Error("the file is empty");
    return key;
  } catch (cause) {
    throw new ConfigError(
      `cannot read the API key file ${config.api_key_file}: ${(cause as Error).message}`,
      { cause },
    );
  }
}

function taskModes(config: Config): Record<TaskKind, TaskMode> {
  try {
    return parseTaskModes(config.task_modes);
  } catch (cause) {
    throw new ConfigError(`invalid task_modes: ${(cause as Error).message}`, { cause });
  }
}

/** The folder of saved KV caches; none when disabled or not writable (logged). */
async function promptFiles(config: Config, log: Logger): Promise<PromptFileStore | null> {
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

function openRuntime(config: Config): Promise<RkllmBackend> {
  const candidates = candidatePaths({
    configured: config.lib_path,
    execPath: Deno.execPath(),
    home: Deno.env.get("HOME"),
  });
  return RkllmBackend.open(findLibrary(candidates, fileExists), config.abi, {
    rknnLibPath: config.rknn_lib_path || undefined,
  });
}

async function serve(config: Config, log: Logger): Promise<void> {
  const registry = await discoverModels(config, log);
  const backend = await openRuntime(config);
  log.info("runtime", "library opened", { library: backend.description });
  const metrics = new ServerMetrics();
  const scheduler = new Scheduler(
    backend,
    {
      queueDepth: config.queue_depth,
      queueTimeoutMs: config.queue_timeout * 1000,
      idleUnloadMs: config.idle_unload * 1000,
    },
    log,
    metrics,
  );
  const engine = new ChatEngine(registry, scheduler, {
    firstTokenTimeoutMs: config.first_token_timeout * 1000,
    totalTimeoutMs: config.generation_timeout * 1000,
    abortGraceMs: config.abort_grace * 1000,
    onWedged: () => {
      if (!config.exit_on_wedged) return;
      // A native call cannot be killed from JS: leave, so the service manager starts afresh.
      log.error("main", "exiting: the NPU runtime is wedged", { code: WEDGED_EXIT_CODE });
      setTimeout(() => Deno.exit(WEDGED_EXIT_CODE), 1000);
    },
    cpuMask: Number(config.cpu_mask),
    baseDomainId: config.base_domain_id,
    embedFlash: config.embed_flash,
    perRunSampling: backend.perRunSampling,
    taskModes: taskModes(config),
    taskMaxTokens: config.task_max_tokens,
    visionCoreMask: config.vision_core_mask,
    vision: {
      maxImageBytes: config.max_image_bytes,
      maxImagePixels: config.max_image_pixels,
      maxImagesPerRequest: config.max_images_per_request,
      remoteImages: config.remote_images,
      remoteImageTimeoutMs: config.remote_image_timeout_ms,
    },
    ragCache: new RagCache({ ttlMs: config.rag_cache_ttl * 1000, now: Date.now }),
    promptFiles: await promptFiles(config, log),
    calibrate: config.kv_calibration,
    observer: metrics,
  }, log);
  const app = createApp({
    service: engine,
    log,
    keepAliveSeconds: config.keepalive_interval,
    maxBodyBytes: config.max_body_bytes,
    apiKey: await apiKey(config),
    corsOrigins: config.cors_origins === "*"
      ? "*"
      : config.cors_origins.split(",").map((o) => o.trim()).filter(Boolean),
    runtime: backend.description,
    metrics,
    npuStats: () => readNpuStats(Deno.env.get("RKLLM_ROOT") ?? ""),
  });

  const server = Deno.serve({
    hostname: config.host,
    port: config.port,
    onListen: ({ hostname, port }) => {
      log.info("http", "listening", { url: `http://${hostname}:${port}`, version: VERSION });
    },
  }, app.fetch);

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
}

async function libraryFacts(config: Config): Promise<DoctorFacts["library"]> {
  const candidates = candidatePaths({
    configured: config.lib_path,
    execPath: Deno.execPath(),
    home: Deno.env.get("HOME"),
  });
  const found = candidates.find(fileExists) ?? null;
  const facts: DoctorFacts["library"] = {
    candidates,
    found,
    version: null,
    hash: null,
    abi: null,
    loadError: null,
  };
  if (!found) return facts;
  // Opening detects the ABI from the file's hash; hash it here only when that did not happen.
  let identity: LibraryIdentity | null = null;
  try {
    const backend = await RkllmBackend.open(found, config.abi);
    facts.abi = backend.description;
    identity = backend.identity;
    backend.close();
  } catch (err) {
    facts.loadError = (err as Error).message;
  }
  identity ??= await identifyLibrary(found);
  facts.hash = identity.hash;
  facts.version = identity.known?.version ?? null;
  return facts;
}

/** `rkllm-api doctor`: one line per check; exit 1 when any check fails. */
async function doctor(config: Config): Promise<number> {
  const scan = await scanModels(config.models_dir, {
    defaultContext: config.default_context,
    defaultMaxNewTokens: config.max_new_tokens,
  });
  const facts = gatherFacts({
    root: Deno.env.get("RKLLM_ROOT") ?? "",
    host: config.host,
    port: config.port,
    modelsDir: config.models_dir,
    models: scan.models,
    library: await libraryFacts(config),
  });
  const results = runChecks(facts);
  console.log(formatReport(results));
  const failed = results.filter((r) => r.status === "fail").length;
  console.log(failed ? `\n${failed} check(s) failed.` : "\nAll checks passed.");
  return failed ? 1 : 0;
}

async function listModels(config: Config, log: Logger): Promise<void> {
  const registry = await discoverModels(config, log);
  const rows = registry.list().map((m) => [
    m.id,
    registry.aliasesOf(m.id).join(",") || "-",
    String(m.contextLength),
    m.path,
    `${(m.sizeBytes / 2 ** 30).toFixed(2)} GiB`,
  ]);
  const header = ["ID", "ALIASES", "CONTEXT", "FILE", "SIZE"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const row of [header, ...rows]) {
    console.log(row.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd());
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  let config: Config;
  let command: string;
  try {
    const args = parseArgs(argv);
    if (args.help) {
      console.log(helpText("rkllm-api", VERSION));
      return 0;
    }
    if (args.version) {
      console.log(`rkllm-api ${VERSION}`);
      return 0;
    }
    command = args.command;
    config = await loadConfig(args, Deno.env.toObject());
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`rkllm-api: ${err.message}`);
      return 2;
    }
    throw err;
  }
  const log = createLogger(config.log_level);
  try {
    switch (command) {
      case "serve":
        await serve(config, log);
        return 0;
      case "models":
        await listModels(config, log);
        return 0;
      case "doctor":
        return await doctor(config);
      default:
        console.error(`rkllm-api: unknown command '${command}' (see --help)`);
        return 2;
    }
  } catch (err) {
    if (err instanceof RkllmError || err instanceof ConfigError) {
      log.error("main", err.message);
      return 1;
    }
    throw err;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}

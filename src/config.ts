/**
 * The only reader of settings and of the environment. One table (`SETTINGS`) names every setting
 * with its flag, env var, default and description; it feeds the parser, `--help` and the README
 * table. Precedence: defaults < config file (JSON, `--config`) < environment < command-line flags.
 * `loadConfig` returns the settings resolved for use: durations in milliseconds, the CPU mask as
 * a number, CORS origins split, task modes parsed, the API key read from its file, and the few
 * environment variables other modules need (`RKLLM_ROOT`, `HOME`, `HF_ENDPOINT`, `HF_TOKEN`).
 * Pure apart from `loadConfig`, which reads the config and key files. Imports src/errors.ts,
 * src/log.ts (level names), src/tasks/settings.ts (the task-mode grammar), the runtime-version
 * registry (the `abi` choices) and zod.
 */
import { z } from "zod";
import { ConfigError } from "./errors.ts";
import { LOG_LEVELS } from "./log.ts";
import { ABI_SETTINGS } from "./rkllm/abi.ts";
import { ABI_VERSIONS } from "./rkllm/versions.ts";
import type { TaskKind } from "./tasks/detect.ts";
import { parseTaskModes, type TaskMode } from "./tasks/settings.ts";

/**
 * A JSON number or a numeric string. `z.coerce.number()` alone would turn "" (`--port=`), null,
 * true and [8080] into numbers (0, 0, 1, 8080) instead of rejecting them; "abc" and "Infinity"
 * are "not a number" rather than zod's "received NaN".
 */
const numeric = z.union([z.number(), z.string().trim().min(1, "expected a number")], {
  error: "expected a number",
}).transform(Number).refine(Number.isFinite, { error: "expected a number" });
const port = numeric.pipe(z.number().int().min(0).max(65535));
const seconds = numeric.pipe(z.number().min(0));
const positiveInt = numeric.pipe(z.number().int().positive());
const count = numeric.pipe(z.number().int().min(0));
const bool = z.union([
  z.boolean(),
  z.string().transform((v) => v.trim().toLowerCase()).pipe(
    z.enum(["1", "0", "true", "false", "yes", "no", "on", "off"]),
  ).transform((v) => ["1", "true", "yes", "on"].includes(v)),
]);

const taskModes = z.string().superRefine((text, ctx) => {
  try {
    parseTaskModes(text);
  } catch (err) {
    ctx.addIssue({ code: "custom", message: (err as Error).message });
  }
});

/**
 * Every setting. `key` is the config-file key and the field of `Config`; rows with
 * `seconds: true` also appear in milliseconds in `ResolvedConfig.ms`.
 */
export const SETTINGS = [
  {
    key: "host",
    flag: "host",
    env: "RKLLM_API_HOST",
    default: "0.0.0.0",
    schema: z.string().min(1),
    description: "Address to listen on.",
  },
  {
    key: "port",
    flag: "port",
    env: "RKLLM_API_PORT",
    default: 8000,
    schema: port,
    description: "TCP port to listen on (0 picks a free port).",
  },
  {
    key: "models_dir",
    flag: "models",
    env: "RKLLM_MODELS_DIR",
    default: "~/models",
    schema: z.string().min(1),
    description: "Folder scanned for models: one sub-folder per model holding a .rkllm file.",
  },
  {
    key: "lib_path",
    flag: "lib",
    env: "RKLLM_LIB_PATH",
    default: "",
    schema: z.string(),
    description:
      "Path of librkllmrt.so; empty searches next to the binary, /usr/lib, /usr/local/lib, ~.",
  },
  {
    key: "abi",
    flag: "abi",
    env: "RKLLM_ABI",
    default: "auto",
    schema: z.enum(ABI_SETTINGS),
    description: `Runtime ABI: auto (by the library's hash, else a probe), ${
      ABI_VERSIONS.join(" or ")
    }.`,
  },
  {
    key: "log_level",
    flag: "log-level",
    env: "RKLLM_API_LOG_LEVEL",
    default: "info",
    schema: z.string().transform((v) => v.toLowerCase()).pipe(z.enum(LOG_LEVELS)),
    description:
      "debug, info, warn, error or silent. Prompts and outputs are logged only at debug.",
  },
  {
    key: "api_key",
    flag: "api-key",
    env: "RKLLM_API_KEY",
    default: "",
    schema: z.string(),
    description:
      "Require 'Authorization: Bearer <key>' on every route but /health (empty: no key).",
  },
  {
    key: "api_key_file",
    flag: "api-key-file",
    env: "RKLLM_API_KEY_FILE",
    default: "",
    schema: z.string(),
    description: "File holding the API key (first line), so it stays out of process listings.",
  },
  {
    key: "cors_origins",
    flag: "cors-origins",
    env: "RKLLM_CORS_ORIGINS",
    default: "*",
    schema: z.string().min(1),
    description:
      "Origins allowed by CORS: * (any; Open WebUI in a browser needs it) or a comma list.",
  },
  {
    key: "max_body_bytes",
    flag: "max-body-bytes",
    env: "RKLLM_MAX_BODY_BYTES",
    default: 16 * 1024 * 1024,
    schema: positiveInt,
    description: "Largest request body accepted; larger ones get a 413.",
  },
  {
    key: "max_messages",
    flag: "max-messages",
    env: "RKLLM_MAX_MESSAGES",
    default: 1000,
    schema: positiveInt,
    description: "Most messages one chat request may hold; more get a 400.",
  },
  {
    key: "header_timeout",
    flag: "header-timeout",
    env: "RKLLM_HEADER_TIMEOUT",
    default: 15,
    schema: seconds,
    seconds: true,
    description:
      "Seconds a new connection may take to send its first request head before it is closed (0: no limit).",
  },
  {
    key: "body_timeout",
    flag: "body-timeout",
    env: "RKLLM_BODY_TIMEOUT",
    default: 60,
    schema: seconds,
    seconds: true,
    description:
      "Seconds allowed to receive a whole request body; a slower one gets a 408 and its connection is closed (0: no limit).",
  },
  {
    key: "connection_idle_timeout",
    flag: "connection-idle-timeout",
    env: "RKLLM_CONNECTION_IDLE_TIMEOUT",
    default: 30,
    schema: seconds,
    seconds: true,
    description:
      "Seconds a kept-alive connection may stay open with no request in progress (a request head still arriving counts as idle) (0: no limit).",
  },
  {
    key: "watch_models",
    flag: "watch-models",
    env: "RKLLM_WATCH_MODELS",
    default: true,
    schema: bool,
    description: "Watch the models folder and rescan it when it changes (false: periodic rescans).",
  },
  {
    key: "models_rescan_interval",
    flag: "models-rescan-interval",
    env: "RKLLM_MODELS_RESCAN_INTERVAL",
    default: 5,
    schema: seconds,
    seconds: true,
    description: "Seconds between rescans of the models folder while it cannot be watched.",
  },
  {
    key: "default_context",
    flag: "default-context",
    env: "RKLLM_DEFAULT_CONTEXT",
    default: 4096,
    schema: positiveInt,
    description:
      "Context length when neither model_config.json, the file name nor the folder name gives one.",
  },
  {
    key: "max_new_tokens",
    flag: "max-new-tokens",
    env: "RKLLM_MAX_NEW_TOKENS",
    default: 2048,
    schema: positiveInt,
    description: "Upper bound on generated tokens per request (set at model load).",
  },
  {
    key: "queue_depth",
    flag: "queue-depth",
    env: "RKLLM_QUEUE_DEPTH",
    default: 64,
    schema: count,
    description:
      "Requests allowed to wait for the NPU; beyond that → 503 (the wait is bounded by queue_timeout).",
  },
  {
    key: "queue_timeout",
    flag: "queue-timeout",
    env: "RKLLM_QUEUE_TIMEOUT",
    default: 300,
    schema: seconds,
    seconds: true,
    description: "Seconds a request may wait for the NPU before a 503 (0: no limit).",
  },
  {
    key: "idle_unload",
    flag: "idle-unload",
    env: "RKLLM_IDLE_UNLOAD",
    default: 300,
    schema: seconds,
    seconds: true,
    description: "Seconds of idleness before the model is unloaded (0 disables).",
  },
  {
    key: "first_token_timeout",
    flag: "first-token-timeout",
    env: "RKLLM_FIRST_TOKEN_TIMEOUT",
    default: 120,
    schema: seconds,
    seconds: true,
    description: "Seconds allowed for prefill (until the first token) before the run is aborted.",
  },
  {
    key: "generation_timeout",
    flag: "generation-timeout",
    env: "RKLLM_GENERATION_TIMEOUT",
    default: 600,
    schema: seconds,
    seconds: true,
    description: "Seconds allowed for a whole generation before it is aborted.",
  },
  {
    key: "abort_grace",
    flag: "abort-grace",
    env: "RKLLM_ABORT_GRACE",
    default: 10,
    schema: seconds,
    seconds: true,
    description: "Seconds an aborted run may take to return; after that the runtime counts as " +
      "wedged: waiting clients get an error, /health says failed, and the server exits.",
  },
  {
    key: "exit_on_wedged",
    flag: "exit-on-wedged",
    env: "RKLLM_EXIT_ON_WEDGED",
    default: true,
    schema: bool,
    description: "Exit with status 70 when the runtime is wedged, so systemd restarts the service.",
  },
  {
    key: "write_stall_timeout",
    flag: "write-stall-timeout",
    env: "RKLLM_WRITE_STALL_TIMEOUT",
    default: 60,
    schema: seconds,
    seconds: true,
    description: "Seconds a streaming client may read nothing while an answer waits for it " +
      "before its connection is cut (0: no limit). The NPU is never held by a slow reader.",
  },
  {
    key: "keepalive_interval",
    flag: "keepalive-interval",
    env: "RKLLM_KEEPALIVE_INTERVAL",
    default: 5,
    schema: seconds,
    seconds: true,
    description: "Seconds between SSE keep-alive comments while waiting for tokens (0 disables).",
  },
  {
    key: "rag_cache_ttl",
    flag: "rag-cache-ttl",
    env: "RKLLM_RAG_CACHE_TTL",
    default: 300,
    schema: seconds,
    seconds: true,
    description:
      "Seconds a web-search (RAG) answer is replayed for the same question and sources (0 disables).",
  },
  {
    key: "task_modes",
    flag: "task-modes",
    env: "RKLLM_TASK_MODES",
    default:
      "title=shortcut,tags=shortcut,queries=shortcut,follow_ups=continue,autocomplete=continue",
    schema: taskModes,
    description: "Open WebUI background tasks: per task, 'shortcut' (instant, no NPU), " +
      "'continue' (asked on the cached chat, then removed from the cache) or 'model'.",
  },
  {
    key: "kv_calibration",
    flag: "kv-calibration",
    env: "RKLLM_KV_CALIBRATION",
    default: true,
    schema: bool,
    description: "At the first model load, measure what the runtime's KV cache does " +
      "(a few one-token runs) and pick the cheapest correct cache strategy.",
  },
  {
    key: "prompt_cache_dir",
    flag: "prompt-cache-dir",
    env: "RKLLM_PROMPT_CACHE_DIR",
    default: "",
    schema: z.string(),
    description:
      "Folder for saved KV caches (one file per conversation state); empty: .kv-cache in the models folder.",
  },
  {
    key: "prompt_cache_max_mb",
    flag: "prompt-cache-max-mb",
    env: "RKLLM_PROMPT_CACHE_MAX_MB",
    default: 4096,
    schema: count,
    description: "Disk space for saved KV caches, least recently used deleted first (0: no files).",
  },
  {
    key: "task_max_tokens",
    flag: "task-max-tokens",
    env: "RKLLM_TASK_MAX_TOKENS",
    default: 256,
    schema: positiveInt,
    description: "Token limit for background tasks run on the model.",
  },
  {
    key: "cpu_mask",
    flag: "cpu-mask",
    env: "RKLLM_CPU_MASK",
    default: "0xF0",
    schema: z.string().regex(/^(0x[0-9a-fA-F]+|\d+)$/, "a number such as 0xF0"),
    description: "CPU cores the runtime may use (RK3588 big cores = 0xF0).",
  },
  {
    key: "embed_flash",
    flag: "embed-flash",
    env: "RKLLM_EMBED_FLASH",
    default: true,
    schema: bool,
    description: "Keep the embedding table in the model file instead of RAM.",
  },
  {
    key: "base_domain_id",
    flag: "base-domain-id",
    env: "RKLLM_BASE_DOMAIN_ID",
    default: 0,
    schema: count,
    description: "IOMMU domain the model is loaded in.",
  },
  {
    key: "rknn_lib_path",
    flag: "rknn-lib",
    env: "RKLLM_RKNN_LIB_PATH",
    default: "",
    schema: z.string(),
    description:
      "Path of librknnrt.so, which runs vision models' image encoders (.rknn); empty: the " +
      "dynamic loader's search. Opened at the first vision model.",
  },
  {
    key: "vision_core_mask",
    flag: "vision-core-mask",
    env: "RKLLM_VISION_CORE_MASK",
    default: 0,
    schema: numeric.pipe(
      z.number().int().refine((m) => [0, 1, 2, 3, 4, 7].includes(m), "0, 1, 2, 3, 4 or 7"),
    ),
    description: "NPU cores for image encoders: 0 auto, 1/2/4 one core, 3 cores 0-1, 7 all three.",
  },
  {
    key: "max_image_bytes",
    flag: "max-image-bytes",
    env: "RKLLM_MAX_IMAGE_BYTES",
    default: 20 * 1024 * 1024,
    schema: positiveInt,
    description: "Largest image file accepted, in bytes (after base64 decoding or download).",
  },
  {
    key: "max_image_pixels",
    flag: "max-image-pixels",
    env: "RKLLM_MAX_IMAGE_PIXELS",
    default: 50_000_000,
    schema: positiveInt,
    description: "Largest image accepted, width × height from its header, checked before decoding.",
  },
  {
    key: "max_images_per_request",
    flag: "max-images-per-request",
    env: "RKLLM_MAX_IMAGES_PER_REQUEST",
    default: 8,
    schema: positiveInt,
    description:
      "Most images a turn sends to a vision model; a cold prompt drops its oldest exchanges " +
      "(images and all) to stay within it.",
  },
  {
    key: "remote_images",
    flag: "remote-images",
    env: "RKLLM_REMOTE_IMAGES",
    default: false,
    schema: bool,
    description:
      "Fetch http(s) image URLs. Off: images must come inline (data: URLs, base64), so the " +
      "server never makes requests for clients.",
  },
  {
    key: "remote_image_timeout_ms",
    flag: "remote-image-timeout-ms",
    env: "RKLLM_REMOTE_IMAGE_TIMEOUT_MS",
    default: 10_000,
    schema: positiveInt,
    description: "Time limit of one remote image download, in milliseconds.",
  },
] as const;

type Setting = typeof SETTINGS[number];
export type Config = Readonly<{ [S in Setting as S["key"]]: z.output<S["schema"]> }>;
export type SettingKey = Setting["key"];
/** The settings given in seconds. */
export type DurationKey = Extract<Setting, { seconds: true }>["key"];

/** Raw values per source; strings from env/flags, any JSON value from the file. */
export type RawSettings = Partial<Record<SettingKey, unknown>>;

/** The commands and the options only they take (beyond the settings). */
export const COMMANDS = [
  { name: "serve", usage: "serve", description: "Start the HTTP server (default).", options: [] },
  {
    name: "models",
    usage: "models",
    description: "List the models found in the models folder.",
    options: [],
  },
  {
    name: "doctor",
    usage: "doctor",
    description: "Check driver, runtime library, models and permissions.",
    options: [
      {
        flag: "probe-cache",
        description: "Load this model and measure what the runtime's KV cache does (the server's " +
          "calibration): keep_history=0, pauses, range clears, prompt-cache files.",
      },
    ],
  },
  {
    name: "pull",
    usage: "pull <owner/repo[:file|quant]>",
    /** The one positional argument, as an error message names it. */
    argument: "model reference (owner/repo[:file or quant])",
    description: "Download a model from Hugging Face into the models folder.",
    options: [
      { flag: "revision", description: "Branch, tag or commit to download (default: main)." },
      { flag: "name", description: "Folder name for the model (default: from the repo)." },
    ],
  },
  {
    name: "rm",
    usage: "rm <name>",
    argument: "model name",
    description: "Delete a model from the models folder.",
    options: [],
  },
] as const;

export type CommandName = typeof COMMANDS[number]["name"];

export interface ParsedArgs {
  command: string;
  flags: RawSettings;
  /** Options of the command itself (`pull --revision v2`), by flag name. */
  options: Record<string, string>;
  configPath?: string;
  help: boolean;
  version: boolean;
  positionals: string[];
}

const BY_FLAG = new Map<string, Setting>(SETTINGS.map((s) => [s.flag, s]));
const COMMAND_OPTIONS = new Map<string, string>(
  COMMANDS.flatMap((c) => c.options.map((o) => [o.flag, c.name])),
);

/** `[command] [--flag value | --flag=value]…`; unknown flags are a ConfigError. */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const out: ParsedArgs = {
    command: "serve",
    flags: {},
    options: {},
    help: false,
    version: false,
    positionals: [],
  };
  let commandSeen = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--help" || arg === "-h") {
      out.help = true;
      continue;
    }
    if (arg === "--version" || arg === "-V") {
      out.version = true;
      continue;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      let value: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1);
      if (value === undefined) {
        value = argv[i + 1];
        // `--models --port 9000` is a forgotten value, not a models folder named "--port".
        if (value === undefined || value.startsWith("--")) {
          throw new ConfigError(`--${name} needs a value`);
        }
        i++;
      }
      if (name === "config") {
        out.configPath = value;
        continue;
      }
      if (COMMAND_OPTIONS.has(name)) {
        out.options[name] = value;
        continue;
      }
      const setting = BY_FLAG.get(name);
      if (!setting) throw new ConfigError(`unknown option --${name} (see --help)`);
      out.flags[setting.key] = value;
      continue;
    }
    if (!commandSeen) {
      out.command = arg;
      commandSeen = true;
    } else {
      out.positionals.push(arg);
    }
  }
  for (const name of Object.keys(out.options)) {
    const owner = COMMAND_OPTIONS.get(name);
    if (owner !== out.command) throw new ConfigError(`--${name} applies to '${owner}' only`);
  }
  return out;
}

export function envSettings(env: Record<string, string | undefined>): RawSettings {
  const out: RawSettings = {};
  for (const s of SETTINGS) {
    const value = env[s.env];
    if (value !== undefined && value !== "") out[s.key] = value;
  }
  return out;
}

/** Validates a parsed config file: an object whose keys are setting keys. */
export function fileSettings(json: unknown, source: string): RawSettings {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new ConfigError(`${source}: expected a JSON object of settings`);
  }
  const known = new Set<string>(SETTINGS.map((s) => s.key));
  const out: RawSettings = {};
  for (const [key, value] of Object.entries(json)) {
    if (!known.has(key)) throw new ConfigError(`${source}: unknown setting '${key}'`);
    out[key as SettingKey] = value;
  }
  return out;
}

/** Merges the sources (later wins) and validates every value. */
export function resolveConfig(
  sources: readonly RawSettings[],
  home: string | undefined,
  /** Names of the sources for error messages, e.g. the config file path, "environment". */
  labels: readonly string[] = [],
): Config {
  const out: Record<string, unknown> = {};
  for (const s of SETTINGS) {
    let raw: unknown = s.default;
    let from = "default";
    for (const [i, src] of sources.entries()) {
      if (src[s.key] !== undefined) {
        raw = src[s.key];
        from = labels[i] ?? `source ${i + 1}`;
      }
    }
    const parsed = (s.schema as z.ZodType).safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]?.message ?? "invalid value";
      throw new ConfigError(
        `invalid value ${
          JSON.stringify(raw)
        } for ${s.key} (--${s.flag} / ${s.env}, ${from}): ${issue}`,
      );
    }
    out[s.key] = parsed.data;
  }
  for (const key of ["models_dir", "lib_path", "prompt_cache_dir", "rknn_lib_path"] as const) {
    out[key] = expandHome(out[key] as string, home);
  }
  out.prompt_cache_dir ||= `${out.models_dir}/.kv-cache`;
  return Object.freeze(out) as Config;
}

export function expandHome(path: string, home: string | undefined): string {
  if (path === "~" || path.startsWith("~/")) {
    if (!home) throw new ConfigError(`cannot expand '${path}': HOME is not set`);
    return home + path.slice(1);
  }
  return path;
}

/** The settings in the form the rest of the program uses them. */
export interface Resolved {
  /** Every `seconds` setting in milliseconds. */
  readonly ms: Readonly<Record<DurationKey, number>>;
  /** `cpu_mask` as a number. */
  readonly cpuMask: number;
  /** `cors_origins`: "*" or the list of origins. */
  readonly corsOrigins: "*" | readonly string[];
  readonly taskModes: Readonly<Record<TaskKind, TaskMode>>;
  /** The key clients must send: `api_key`, else the first line of `api_key_file`; "" = none. */
  readonly apiKey: string;
  /** Environment variables other modules need; they read no environment themselves. */
  readonly env: Readonly<{
    /** Prefix for /proc, /sys and /dev (tests point it at a fake tree); "" = the real root. */
    rkllmRoot: string;
    home: string | undefined;
    /** Hugging Face mirror and token for `pull`. */
    hfEndpoint: string | undefined;
    hfToken: string | undefined;
  }>;
}

export type ResolvedConfig = Config & Resolved;

/**
 * Derives the resolved fields from validated settings (pure). `keyFileText` is the content of
 * `api_key_file` when one is set.
 */
export function deriveConfig(
  config: Config,
  env: Record<string, string | undefined>,
  keyFileText?: string,
): ResolvedConfig {
  const ms = Object.fromEntries(
    SETTINGS.filter((s) => "seconds" in s).map((s) => [s.key, config[s.key] as number * 1000]),
  ) as Record<DurationKey, number>;
  let apiKey = config.api_key;
  if (!apiKey && config.api_key_file) {
    apiKey = (keyFileText ?? "").split("\n")[0].trim();
    if (!apiKey) {
      throw new ConfigError(`cannot read the API key file ${config.api_key_file}: it is empty`);
    }
  }
  const corsOrigins = config.cors_origins.trim() === "*"
    ? "*"
    : Object.freeze(config.cors_origins.split(",").map((o) => o.trim()).filter(Boolean));
  const nonEmpty = (name: string) => env[name] || undefined;
  return Object.freeze({
    ...config,
    ms: Object.freeze(ms),
    cpuMask: Number(config.cpu_mask),
    corsOrigins,
    taskModes: Object.freeze(parseTaskModes(config.task_modes)),
    apiKey,
    env: Object.freeze({
      rkllmRoot: env.RKLLM_ROOT ?? "",
      home: nonEmpty("HOME"),
      hfEndpoint: nonEmpty("HF_ENDPOINT"),
      hfToken: nonEmpty("HF_TOKEN"),
    }),
  });
}

async function readSettingsFile(path: string): Promise<RawSettings> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (cause) {
    throw new ConfigError(`cannot read config file ${path}: ${(cause as Error).message}`, {
      cause,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${(cause as Error).message}`, {
      cause,
    });
  }
  return fileSettings(json, path);
}

async function readKeyFile(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (cause) {
    throw new ConfigError(`cannot read the API key file ${path}: ${(cause as Error).message}`, {
      cause,
    });
  }
}

/**
 * The effectful entry: reads the config file named by --config or RKLLM_API_CONFIG and the API
 * key file. `env` defaults to the process environment.
 */
export async function loadConfig(
  args: ParsedArgs,
  env: Record<string, string | undefined> = Deno.env.toObject(),
): Promise<ResolvedConfig> {
  const path = args.configPath ?? env.RKLLM_API_CONFIG;
  const sources: RawSettings[] = path ? [await readSettingsFile(path)] : [];
  sources.push(envSettings(env), args.flags);
  const config = resolveConfig(sources, env.HOME, [
    ...(path ? [path] : []),
    "environment",
    "flags",
  ]);
  const keyFile = !config.api_key && config.api_key_file
    ? await readKeyFile(config.api_key_file)
    : undefined;
  return deriveConfig(config, env, keyFile);
}

/** Left column of `--help`: wide enough for the longest entry plus two spaces. */
function helpColumns(rows: readonly [string, string][]): string[] {
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  return rows.map(([left, right]) =>
    right.split("\n").map((line, i) => `${(i === 0 ? left : "").padEnd(width)}${line}`)
      .join("\n").trimEnd()
  );
}

/** `--help` text, generated from the tables. */
export function helpText(name: string, version: string): string {
  const options: [string, string][] = [
    [
      "  --config <file>",
      "JSON file of settings (keys as in the README table).\nenv RKLLM_API_CONFIG",
    ],
    ...SETTINGS.map((s): [string, string] => [
      `  --${s.flag} <value>`,
      `${s.description}\nenv ${s.env}, default ${JSON.stringify(s.default)}`,
    ]),
    ...COMMANDS.flatMap((c) =>
      c.options.map((
        o,
      ): [string, string] => [`  --${o.flag} <value>`, `(${c.name}) ${o.description}`])
    ),
    ["  --help, --version", ""],
  ];
  const commands = COMMANDS.map((c): [string, string] => [`  ${c.usage}`, c.description]);
  return [
    `${name} ${version}: OpenAI- and Ollama-compatible LLM server for Rockchip RK3588 NPUs`,
    "",
    `Usage: ${name} [${COMMANDS.map((c) => c.name).join("|")}] [options]`,
    "",
    "Commands:",
    ...helpColumns(commands),
    "",
    "Options (precedence: defaults < config file < environment < flags):",
    ...helpColumns(options),
  ].join("\n");
}

/** The README's configuration table, generated from the same table (a test keeps them equal). */
export function settingsMarkdown(): string {
  const rows = SETTINGS.map((s) =>
    `| \`${s.key}\` | \`--${s.flag}\` | \`${s.env}\` | \`${
      JSON.stringify(s.default)
    }\` | ${s.description} |`
  );
  return [
    "| Setting (config file key) | Flag | Environment | Default | Description |",
    "|---|---|---|---|---|",
    ...rows,
  ].join("\n");
}

/**
 * The models folder as the CLI sees it: `discoverModels` scans it and logs what was found (and,
 * loudly, when nothing was), for `serve` and `models`; `rkllm-api models` prints the table.
 * Imports src/models and the config and log types.
 */
import type { ResolvedConfig } from "../config.ts";
import type { Logger } from "../log.ts";
import { scanModels, type ScanOptions } from "../models/discovery.ts";
import { ModelRegistry } from "../models/registry.ts";

export const NO_MODELS_HINT =
  "put each model in its own folder: <models>/<Model-Name>/<file>.rkllm";

/** The scan options from the settings (a rescan must use the same, or context lengths change). */
export function scanOptions(config: ResolvedConfig): ScanOptions {
  return { defaultContext: config.default_context, defaultMaxNewTokens: config.max_new_tokens };
}

export async function discoverModels(config: ResolvedConfig, log: Logger): Promise<ModelRegistry> {
  const scan = await scanModels(config.models_dir, scanOptions(config));
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
    log.warn(
      "models",
      `NO MODELS in ${config.models_dir}: every chat will answer 404 until models are added`,
      { hint: NO_MODELS_HINT, models_dir: config.models_dir },
    );
  }
  return registry;
}

/** `rkllm-api models`: id, aliases, context, file, size; one row per model. */
export async function listModels(config: ResolvedConfig, log: Logger): Promise<number> {
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
  return 0;
}

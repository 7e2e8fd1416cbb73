/**
 * Model discovery: walk the models root, pick one `.rkllm` per folder, derive ids, and apply each
 * folder's `model_config.json`. This is the only file in src/models that touches the filesystem.
 *
 * Imports only from src/models and `node:path`. It never throws for problems on disk: they come
 * back as warnings for the caller to log, so a bad folder cannot stop the server starting.
 */

import { basename, join, resolve } from "node:path";
import { detectCapabilities, thinkPrefilled } from "./capabilities.ts";
import { contextLengthFromName } from "./context_length.ts";
import { type ModelConfig, parseModelConfig } from "./model_config.ts";
import type { ModelEntry } from "./registry.ts";
import { samplingFor } from "./sampling.ts";
import { resolveVisionModel, type VisionModel } from "./vision_model.ts";

export const DEFAULT_CONTEXT_LENGTH = 4096;
export const DEFAULT_MAX_NEW_TOKENS = 2048;
/** Folders nested deeper than this below the root are not visited (root = depth 0). */
export const MAX_SCAN_DEPTH = 4;
export const MODEL_SUFFIX = ".rkllm";
export const VISION_ENCODER_SUFFIX = ".rknn";
export const MODEL_CONFIG_FILE = "model_config.json";

export interface ScanOptions {
  defaultContext?: number;
  defaultMaxNewTokens?: number;
}

export interface ScanResult {
  models: ModelEntry[];
  warnings: string[];
}

/** Model id from a folder or file-stem name: lower-cased, whitespace and `_` → `-`, dots kept. */
export function modelIdFromName(name: string): string {
  return name.trim().toLowerCase().replace(/[\s_]/g, "-");
}

/** What one directory holds, hidden entries excluded, names sorted. */
interface Listing {
  models: string[];
  dirs: string[];
  /** `.rknn` files: a vision-language model's image encoder. */
  visionEncoders: string[];
}

interface Candidate {
  id: string;
  dir: string;
  fileName: string;
  /** Root-level files share the root, so folder-wide hints (name, sidecars) do not apply. */
  rootLevel: boolean;
  visionEncoders: string[];
}

/**
 * Find every model under `root`. Deterministic: entries are visited in sorted name order, folders
 * before their subfolders, so the result order (and which duplicate wins) never depends on the
 * filesystem.
 */
export async function scanModels(root: string, opts: ScanOptions = {}): Promise<ScanResult> {
  const warnings: string[] = [];
  const rootPath = resolve(root);
  try {
    const info = await Deno.stat(rootPath);
    if (!info.isDirectory) {
      warnings.push(`models root ${rootPath} is not a directory; no models available`);
      return { models: [], warnings };
    }
  } catch (err) {
    const why = err instanceof Deno.errors.NotFound ? "does not exist" : describe(err);
    warnings.push(`models root ${rootPath} ${why}; no models available`);
    return { models: [], warnings };
  }

  const candidates: Candidate[] = [];
  // Real path → first walked path: symlinked folders are followed, but a loop or a second link to
  // the same folder is visited once.
  const visited = new Map<string, string>();

  const walk = async (dir: string, depth: number): Promise<void> => {
    let real: string;
    try {
      real = await Deno.realPath(dir);
    } catch (err) {
      warnings.push(`skipping ${dir}: ${describe(err)}`);
      return;
    }
    const seenAs = visited.get(real);
    if (seenAs !== undefined) {
      warnings.push(`skipping ${dir}: same directory as ${seenAs}`);
      return;
    }
    visited.set(real, dir);

    const listing = await listDirectory(dir, warnings);
    if (listing === undefined) return;
    if (depth === 0) {
      for (const fileName of listing.models) {
        const stem = fileName.slice(0, -MODEL_SUFFIX.length);
        candidates.push({
          id: modelIdFromName(stem),
          dir,
          fileName,
          rootLevel: true,
          visionEncoders: [],
        });
      }
    } else if (listing.models.length > 0) {
      if (listing.models.length > 1) {
        warnings.push(
          `${dir} holds ${listing.models.length} ${MODEL_SUFFIX} files ` +
            `(${listing.models.join(", ")}); using ${listing.models[0]}`,
        );
      }
      candidates.push({
        id: modelIdFromName(basename(dir)),
        dir,
        fileName: listing.models[0],
        rootLevel: false,
        visionEncoders: listing.visionEncoders,
      });
    }
    if (depth >= MAX_SCAN_DEPTH) return;
    for (const sub of listing.dirs) await walk(join(dir, sub), depth + 1);
  };
  await walk(rootPath, 0);

  const models: ModelEntry[] = [];
  const pathById = new Map<string, string>();
  for (const candidate of candidates) {
    const path = join(candidate.dir, candidate.fileName);
    if (candidate.id === "") {
      warnings.push(`skipping ${path}: its name gives an empty model id`);
      continue;
    }
    const firstPath = pathById.get(candidate.id);
    if (firstPath !== undefined) {
      warnings.push(
        `duplicate model id '${candidate.id}': keeping ${firstPath}, ignoring ${path}`,
      );
      continue;
    }
    const entry = await buildEntry(candidate, path, opts, warnings);
    if (entry === undefined) continue;
    pathById.set(candidate.id, path);
    models.push(entry);
  }
  return { models, warnings };
}

async function listDirectory(dir: string, warnings: string[]): Promise<Listing | undefined> {
  const listing: Listing = { models: [], dirs: [], visionEncoders: [] };
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.name.startsWith(".")) continue;
      let isFile = entry.isFile;
      let isDirectory = entry.isDirectory;
      if (entry.isSymlink) {
        try {
          const target = await Deno.stat(join(dir, entry.name));
          isFile = target.isFile;
          isDirectory = target.isDirectory;
        } catch (err) {
          const why = err instanceof Deno.errors.NotFound ? "broken symbolic link" : describe(err);
          warnings.push(`skipping ${join(dir, entry.name)}: ${why}`);
          continue;
        }
      }
      if (isDirectory) listing.dirs.push(entry.name);
      else if (isFile && entry.name.endsWith(MODEL_SUFFIX)) listing.models.push(entry.name);
      else if (isFile && entry.name.endsWith(VISION_ENCODER_SUFFIX)) {
        listing.visionEncoders.push(entry.name);
      }
    }
  } catch (err) {
    warnings.push(`cannot read ${dir}: ${describe(err)}`);
    return undefined;
  }
  listing.models.sort(byCodeUnit);
  listing.dirs.sort(byCodeUnit);
  listing.visionEncoders.sort(byCodeUnit);
  return listing;
}

async function buildEntry(
  candidate: Candidate,
  path: string,
  opts: ScanOptions,
  warnings: string[],
): Promise<ModelEntry | undefined> {
  let sizeBytes: number;
  try {
    sizeBytes = (await Deno.stat(path)).size;
  } catch (err) {
    warnings.push(`skipping ${path}: ${describe(err)}`);
    return undefined;
  }

  const configWarnings: string[] = [];
  const config = candidate.rootLevel
    ? undefined
    : await readModelConfig(join(candidate.dir, MODEL_CONFIG_FILE), configWarnings);
  warnings.push(...configWarnings);

  const { id } = candidate;
  const vision = visionOf(candidate, config, warnings, configWarnings);
  // File name first: it describes the converted model; the folder name is the user's label.
  const contextLength = config?.context_length ??
    contextLengthFromName(candidate.fileName) ??
    (candidate.rootLevel ? undefined : contextLengthFromName(basename(candidate.dir))) ??
    opts.defaultContext ??
    DEFAULT_CONTEXT_LENGTH;

  const entry: ModelEntry = {
    id,
    path,
    dir: candidate.dir,
    fileName: candidate.fileName,
    sizeBytes,
    contextLength,
    maxNewTokens: config?.max_new_tokens ?? opts.defaultMaxNewTokens ?? DEFAULT_MAX_NEW_TOKENS,
    capabilities: detectCapabilities(id, {
      hasVisionEncoder: vision !== undefined,
      override: config?.capabilities,
    }),
    thinkPrefilled: config?.think_prefilled ?? thinkPrefilled(id),
    sampling: samplingFor(id, config?.sampling),
    disableTools: config?.disable_tools ?? false,
    skipChat: config?.skip_chat ?? false,
  };
  if (vision) entry.vision = vision;
  if (configWarnings.length > 0) entry.configWarnings = configWarnings;
  return entry;
}

/**
 * A folder with an `.rkllm` and an `.rknn` is a vision-language model. Several `.rknn` files:
 * `vision.encoder` in model_config.json picks one, else the first by name (with a warning).
 */
function visionOf(
  candidate: Candidate,
  config: ModelConfig | undefined,
  warnings: string[],
  configWarnings: string[],
): VisionModel | undefined {
  const files = candidate.visionEncoders;
  const wanted = config?.vision?.encoder;
  let file = files[0];
  if (wanted !== undefined) {
    if (!files.includes(wanted)) {
      const problem = `${join(candidate.dir, MODEL_CONFIG_FILE)}: vision.encoder '${wanted}' ` +
        `is not in the folder (${files.join(", ") || `no ${VISION_ENCODER_SUFFIX} files`}); ` +
        "the model is served as text-only";
      warnings.push(problem);
      configWarnings.push(problem);
      return undefined;
    }
    file = wanted;
  } else if (files.length > 1) {
    warnings.push(
      `${candidate.dir} holds ${files.length} ${VISION_ENCODER_SUFFIX} files ` +
        `(${files.join(", ")}); using ${file} (set vision.encoder in ${MODEL_CONFIG_FILE})`,
    );
  }
  return file === undefined
    ? undefined
    : resolveVisionModel(candidate.id, join(candidate.dir, file), config?.vision);
}

/** The sidecar if present and valid; an unreadable or invalid one is reported and ignored. */
async function readModelConfig(
  file: string,
  warnings: string[],
): Promise<ModelConfig | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    warnings.push(`${file} ignored: ${describe(err)}`);
    return undefined;
  }
  const parsed = parseModelConfig(text);
  if (parsed.error !== undefined) {
    warnings.push(`${file} ignored: ${parsed.error}`);
    return undefined;
  }
  return parsed.config;
}

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

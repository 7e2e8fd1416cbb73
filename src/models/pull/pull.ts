/**
 * `pull`: list the repo, choose the files, check the space, download each, write a provenance
 * record, as an async generator of Ollama's pull progress events (POST /api/pull streams them
 * as NDJSON; the CLI draws them as a progress bar). Its return value says where the model went.
 */
import { basename, join } from "node:path";
import { MODEL_SUFFIX } from "../discovery.ts";
import { freeBytes as statFreeBytes } from "./disk_space.ts";
import { ollamaDigest } from "./digest.ts";
import { bytesMissing, downloadFile, PARTIAL_SUFFIX } from "./download.ts";
import { InsufficientSpaceError, ModelFolderConflictError } from "./errors.ts";
import { checkFolderName, defaultFolderName } from "./folder_name.ts";
import { HubClient, type HubFile } from "./hub_client.ts";
import { parseReference } from "./reference.ts";
import { selectFiles } from "./select.ts";

/** Ollama's `/api/pull` progress line. */
export interface PullEvent {
  status: string;
  digest?: string;
  total?: number;
  completed?: number;
}

export interface PullResult {
  /** The folder name below the models root; the model id is derived from it. */
  name: string;
  dir: string;
  /** Absolute paths of the files written or found complete. */
  files: string[];
}

export interface PullOptions {
  modelsDir: string;
  /** HF_ENDPOINT (read by the caller). */
  endpoint?: string;
  /** HF_TOKEN (read by the caller). */
  token?: string;
  /** Branch, tag or commit; default `main`. */
  revision?: string;
  /** Folder name below the models root; default from the repo (see defaultFolderName). */
  name?: string;
  signal?: AbortSignal;
  fetch?: typeof fetch;
  freeBytes?: (dir: string) => Promise<number>;
  /** Least time between two progress events of one file; default 250 ms. */
  progressIntervalMs?: number;
  maxAttempts?: number;
  retryDelayMs?: number;
}

/** Hidden (discovery skips dot files): where a pulled model came from. */
export const PULL_RECORD_FILE = ".rkllm-pull.json";

export async function* pullModel(
  reference: string,
  opts: PullOptions,
): AsyncGenerator<PullEvent, PullResult> {
  const ref = parseReference(reference);
  const revision = opts.revision ?? "main";
  const client = new HubClient({ endpoint: opts.endpoint, token: opts.token, fetch: opts.fetch });

  yield { status: "pulling manifest" };
  const listing = await client.listFiles(ref.repo, revision, opts.signal);
  const plan = selectFiles(ref.repo, listing, ref.selector);
  const name = checkFolderName(
    opts.name ?? defaultFolderName(ref, plan.model.path, plan.repoHasSeveralModels),
  );
  const dir = join(opts.modelsDir, name);
  const files = [plan.model, plan.config, plan.visionEncoder].filter((f) => f !== undefined);

  await refuseOtherModel(dir, basename(plan.model.path));
  let needed = 0;
  for (const file of files) needed += await bytesMissing(dir, file);
  const available = await (opts.freeBytes ?? statFreeBytes)(dir);
  if (needed > available) throw new InsufficientSpaceError(dir, needed, available);
  await Deno.mkdir(dir, { recursive: true });

  const written: string[] = [];
  const interval = opts.progressIntervalMs ?? 250;
  for (const file of files) {
    const digest = ollamaDigest(file);
    const status = `pulling ${digest?.slice(7, 19) ?? basename(file.path)}`;
    let lastAt = -Infinity;
    let last: PullEvent | undefined;
    for await (
      const event of downloadFile({
        client,
        repo: ref.repo,
        revision,
        file,
        destDir: dir,
        signal: opts.signal,
        maxAttempts: opts.maxAttempts,
        retryDelayMs: opts.retryDelayMs,
      })
    ) {
      if (event.kind === "progress") {
        last = { status, digest, total: event.total, completed: event.completed };
        const now = performance.now();
        if (now - lastAt >= interval || event.completed === event.total) {
          lastAt = now;
          yield last;
          last = undefined;
        }
      } else if (event.kind === "verifying") {
        if (last !== undefined) yield last;
        last = undefined;
        yield { status: "verifying sha256 digest", digest };
      } else {
        written.push(event.path);
      }
    }
  }

  yield { status: "writing manifest" };
  await writeRecord(dir, client.endpoint, ref.repo, revision, files);
  yield { status: "success" };
  return { name, dir, files: written };
}

/** A folder holding some other `.rkllm` would serve that one (discovery takes the first). */
async function refuseOtherModel(dir: string, fileName: string): Promise<void> {
  const others: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.name.endsWith(MODEL_SUFFIX) && entry.name !== fileName) others.push(entry.name);
    }
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return;
    throw err;
  }
  if (others.length > 0) throw new ModelFolderConflictError(dir, others.sort());
}

async function writeRecord(
  dir: string,
  endpoint: string,
  repo: string,
  revision: string,
  files: readonly HubFile[],
): Promise<void> {
  const record = {
    source: endpoint,
    repo,
    revision,
    pulled_at: new Date().toISOString(),
    files: files.map((f) => ({
      path: f.path,
      size: f.size,
      ...(f.sha256 !== undefined ? { sha256: f.sha256 } : { git_oid: f.gitOid }),
    })),
  };
  const tmp = join(dir, PULL_RECORD_FILE + PARTIAL_SUFFIX);
  await Deno.writeTextFile(tmp, `${JSON.stringify(record, null, 2)}\n`);
  await Deno.rename(tmp, join(dir, PULL_RECORD_FILE));
}

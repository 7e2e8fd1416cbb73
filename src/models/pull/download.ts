/**
 * One file from the Hub into a folder: written to `<name>.partial`, resumed with HTTP Range
 * (within this call after a dropped connection, and across calls from a partial left behind),
 * hashed while written (a resumed partial is hashed first), checked against the Hub's digest and
 * renamed when complete. A wrong hash removes the partial, so the next pull starts clean.
 */
import { basename, join } from "node:path";
import { ChecksumMismatchError, DiskFullError, HubUnavailableError } from "./errors.ts";
import { expectedDigest, StreamingHash } from "./digest.ts";
import type { HubClient, HubFile } from "./hub_client.ts";

export const PARTIAL_SUFFIX = ".partial";

export interface DownloadOptions {
  client: HubClient;
  repo: string;
  revision: string;
  file: HubFile;
  destDir: string;
  signal?: AbortSignal;
  /** Requests per file, counting resumes after a dropped connection. Default 5. */
  maxAttempts?: number;
  /** Wait before the n-th resume is n × this. Default 1000 ms. */
  retryDelayMs?: number;
}

export type DownloadEvent =
  | { kind: "progress"; completed: number; total: number }
  | { kind: "verifying" }
  /** `reused`: the file was already there, complete and correct. */
  | { kind: "done"; path: string; reused: boolean };

export function partialPath(destDir: string, file: HubFile): string {
  return join(destDir, basename(file.path)) + PARTIAL_SUFFIX;
}

/** Bytes still to fetch for `file` (what the free-space check needs). */
export async function bytesMissing(destDir: string, file: HubFile): Promise<number> {
  const finalSize = await sizeOf(join(destDir, basename(file.path)));
  if (finalSize === file.size) return 0;
  const partialSize = await sizeOf(partialPath(destDir, file)) ?? 0;
  return partialSize <= file.size ? file.size - partialSize : file.size;
}

export async function* downloadFile(opts: DownloadOptions): AsyncGenerator<DownloadEvent> {
  const { file } = opts;
  const finalPath = join(opts.destDir, basename(file.path));
  const partial = finalPath + PARTIAL_SUFFIX;
  const expected = expectedDigest(file);

  if (await sizeOf(finalPath) === file.size) {
    yield { kind: "verifying" };
    const existing = new StreamingHash(expected, file.size);
    await existing.updateFromFile(finalPath);
    if (existing.hex() === expected.hex) {
      yield { kind: "progress", completed: file.size, total: file.size };
      yield { kind: "done", path: finalPath, reused: true };
      return;
    }
    // A stale or damaged copy: fetched anew below and replaced by the rename.
  }

  let offset = await sizeOf(partial) ?? 0;
  if (offset > file.size) offset = await truncate(partial);
  let hash = new StreamingHash(expected, file.size);
  if (offset > 0) await hash.updateFromFile(partial);
  yield { kind: "progress", completed: offset, total: file.size };

  if (file.size === 0) await Deno.writeFile(partial, new Uint8Array());
  const maxAttempts = opts.maxAttempts ?? 5;
  let interruption: unknown;
  for (let attempt = 1; offset < file.size; attempt++) {
    if (attempt > maxAttempts) {
      throw new HubUnavailableError(
        `The transfer of ${file.path} kept failing (${maxAttempts} attempts, ${offset} of ` +
          `${file.size} bytes kept in ${basename(partial)}; pull again to resume): ` +
          describe(interruption),
        interruption,
      );
    }
    if (attempt > 1) await delay((opts.retryDelayMs ?? 1000) * (attempt - 1), opts.signal);

    const res = await opts.client.openFile(opts.repo, opts.revision, file.path, {
      offset,
      signal: opts.signal,
    });
    if (res.status === 200 && offset > 0) {
      // The server ignored the range and sends the whole file: take it from the start.
      offset = await truncate(partial);
      hash = new StreamingHash(expected, file.size);
    } else if (!resumesAt(res, offset)) {
      // A 416, or a range starting elsewhere: start over.
      await res.body?.cancel();
      interruption = `unexpected status ${res.status} for bytes ${offset}-`;
      if (offset > 0) {
        offset = await truncate(partial);
        hash = new StreamingHash(expected, file.size);
      }
      continue;
    }
    if (res.body === null) {
      interruption = "empty response body";
      continue;
    }

    const out = await Deno.open(partial, { write: true, create: true, append: true });
    let failure: unknown;
    let writing = false;
    try {
      for await (const chunk of res.body) {
        writing = true;
        await writeAll(out, chunk, partial);
        writing = false;
        hash.update(chunk);
        offset += chunk.length;
        yield { kind: "progress", completed: Math.min(offset, file.size), total: file.size };
      }
    } catch (err) {
      // Only a failing transfer is worth resuming; a failing disk is not.
      if (opts.signal?.aborted || writing) throw err;
      failure = err;
    } finally {
      out.close();
    }
    if (offset > file.size) break; // the hash check below reports it
    if (offset < file.size) interruption = failure ?? "the body ended early";
  }

  yield { kind: "verifying" };
  const actual = hash.hex();
  if (actual !== expected.hex || offset !== file.size) {
    await Deno.remove(partial).catch(() => {});
    throw new ChecksumMismatchError(
      file.path,
      `${expected.algorithm}:${expected.hex}`,
      offset === file.size ? `${expected.algorithm}:${actual}` : `${offset} bytes`,
    );
  }
  await Deno.rename(partial, finalPath);
  yield { kind: "done", path: finalPath, reused: false };
}

/** Whether `res` carries the bytes from `offset` on (a whole body counts when offset is 0). */
function resumesAt(res: Response, offset: number): boolean {
  if (offset === 0) return res.status === 200 || res.status === 206 && rangeStart(res) === 0;
  return res.status === 206 && rangeStart(res) === offset;
}

function rangeStart(res: Response): number | undefined {
  const match = /^bytes\s+(\d+)-/.exec(res.headers.get("content-range") ?? "");
  return match === null ? undefined : Number(match[1]);
}

async function writeAll(out: Deno.FsFile, chunk: Uint8Array, path: string): Promise<void> {
  try {
    for (let done = 0; done < chunk.length;) done += await out.write(chunk.subarray(done));
  } catch (err) {
    if (isNoSpace(err)) throw new DiskFullError(path, err);
    throw err;
  }
}

function isNoSpace(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === "ENOSPC" || code === "EDQUOT" ||
    (err instanceof Error && /no space left|quota exceeded/i.test(err.message));
}

async function truncate(path: string): Promise<0> {
  await Deno.truncate(path, 0).catch((err) => {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  });
  return 0;
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    const info = await Deno.stat(path);
    return info.isFile ? info.size : undefined;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Free space for the pull's pre-flight check. Deno's node:fs `statfs` answers directly but needs
 * `--allow-sys=statfs`; a process granted `--allow-run` instead asks `df -Pk`. With neither, the
 * error names the flag. A folder not created yet is measured at its nearest existing ancestor.
 */
import { statfs } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { PullError } from "./errors.ts";

export class FreeSpaceUnknownError extends PullError {
  constructor(dir: string, cause?: unknown) {
    super(
      "internal",
      "free_space_unknown",
      `Cannot measure the free space in ${dir} before pulling: run with --allow-sys=statfs ` +
        `(or --allow-run=df). ${cause instanceof Error ? cause.message : ""}`.trim(),
      { cause },
    );
  }
}

/** Bytes an unprivileged writer may still use below `dir`. */
export async function freeBytes(dir: string): Promise<number> {
  const at = await existingAncestor(resolve(dir));
  try {
    return await statfsFreeBytes(at);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotCapable)) throw err;
  }
  try {
    return await dfFreeBytes(at);
  } catch (err) {
    throw new FreeSpaceUnknownError(at, err);
  }
}

export async function statfsFreeBytes(dir: string): Promise<number> {
  const stats = await statfs(dir);
  return Number(stats.bavail) * Number(stats.bsize);
}

/** POSIX `df -Pk`: the 4th column of the 2nd line is the available space in KiB. */
export async function dfFreeBytes(dir: string): Promise<number> {
  const { success, stdout } = await new Deno.Command("df", {
    args: ["-Pk", dir],
    stdout: "piped",
    stderr: "null",
  }).output();
  const line = new TextDecoder().decode(stdout).trim().split("\n")[1] ?? "";
  const kib = Number(line.trim().split(/\s+/)[3]);
  if (!success || !Number.isFinite(kib)) throw new Error(`df -Pk ${dir} gave no usable answer`);
  return kib * 1024;
}

async function existingAncestor(path: string): Promise<string> {
  for (let at = path;; at = dirname(at)) {
    try {
      await Deno.stat(at);
      return at;
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound) || dirname(at) === at) throw err;
    }
  }
}

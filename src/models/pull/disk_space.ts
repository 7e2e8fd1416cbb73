/**
 * Free space for the pull's pre-flight check. Deno's node:fs `statfs` answers directly (no
 * `df` subprocess, no --allow-run); a folder not created yet is measured at its nearest
 * existing ancestor.
 */
import { statfs } from "node:fs/promises";
import { dirname, resolve } from "node:path";

/** Bytes an unprivileged writer may still use below `dir`. */
export async function freeBytes(dir: string): Promise<number> {
  let at = resolve(dir);
  for (;;) {
    try {
      const stats = await statfs(at);
      return Number(stats.bavail) * Number(stats.bsize);
    } catch (err) {
      const parent = dirname(at);
      if (!isNotFound(err) || parent === at) throw err;
      at = parent;
    }
  }
}

function isNotFound(err: unknown): boolean {
  return err instanceof Deno.errors.NotFound ||
    (err as { code?: string } | null)?.code === "ENOENT";
}

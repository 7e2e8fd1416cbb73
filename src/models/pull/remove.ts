/**
 * `rm` / DELETE /api/delete: remove one model from the models root, found by folder name or by
 * the model id discovery derives from it (a root-level `<name>.rkllm` counts too). A loaded model
 * is refused unless the caller passes `unload`. A symlinked folder loses only its link.
 */
import { join, resolve } from "node:path";
import { MODEL_SUFFIX, modelIdFromName } from "../discovery.ts";
import { LocalModelNotFoundError, ModelInUseError } from "./errors.ts";
import { checkFolderName } from "./folder_name.ts";

export interface RemoveOptions {
  /** Whether the model at this path (its folder, or the root-level file) is loaded now. */
  isLoaded?: (path: string) => boolean | Promise<boolean>;
  /** Given: a loaded model is unloaded, then removed. Absent: a loaded model is refused. */
  unload?: (path: string) => Promise<void>;
}

export interface RemoveResult {
  /** What was deleted: a folder, a symlink to one, or a root-level `.rkllm` file. */
  path: string;
}

export async function removeModel(
  modelsDir: string,
  name: string,
  opts: RemoveOptions = {},
): Promise<RemoveResult> {
  const wanted = checkFolderName(name);
  const root = resolve(modelsDir);
  const path = await findModel(root, wanted);
  if (path === undefined) throw new LocalModelNotFoundError(wanted, root);

  if (await opts.isLoaded?.(path)) {
    if (opts.unload === undefined) throw new ModelInUseError(wanted);
    await opts.unload(path);
  }
  const info = await Deno.lstat(path);
  await Deno.remove(path, { recursive: info.isDirectory && !info.isSymlink });
  return { path };
}

/** Exact folder name first, then a folder or root-level file with the same model id. */
async function findModel(root: string, wanted: string): Promise<string | undefined> {
  const id = modelIdFromName(
    wanted.endsWith(MODEL_SUFFIX) ? wanted.slice(0, -MODEL_SUFFIX.length) : wanted,
  );
  let byId: string | undefined;
  try {
    for await (const entry of Deno.readDir(root)) {
      if (entry.name.startsWith(".")) continue;
      const isModelFile = entry.isFile && entry.name.endsWith(MODEL_SUFFIX);
      if (!entry.isDirectory && !entry.isSymlink && !isModelFile) continue;
      if (entry.name === wanted) return join(root, entry.name);
      const stem = isModelFile ? entry.name.slice(0, -MODEL_SUFFIX.length) : entry.name;
      if (modelIdFromName(stem) === id) byId ??= join(root, entry.name);
    }
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
  return byId;
}

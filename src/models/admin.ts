/**
 * Model management for the HTTP API (POST /api/pull, DELETE /api/delete): pull from Hugging Face
 * or remove a model folder, then rescan so the change shows at once. A model the runtime holds
 * (or is loading) is refused with a 409 rather than unloaded first: unloading would cut off the
 * generation of whoever is using it, and `keep_alive: 0` or POST /v1/models/unload lets the
 * operator choose that explicitly. Imports src/models only (the pull modules and the registry).
 */
import { sep } from "node:path";
import { ApiError } from "../errors.ts";
import { type PullEvent, pullModel, type PullResult } from "./pull/pull.ts";
import { removeModel, type RemoveResult } from "./pull/remove.ts";
import type { ModelRegistry } from "./registry.ts";

/** What the HTTP layer needs; tests fake it. Failures are `PullError`s (ApiErrors). */
export interface ModelAdmin {
  /** Ollama's pull progress events; `success` comes once the model is listed. */
  pull(reference: string, signal?: AbortSignal): AsyncGenerator<PullEvent, PullResult>;
  /** Removes a model by folder name or id; refuses one that is loaded. */
  remove(name: string): Promise<RemoveResult>;
}

/** The process may not write the models folder (Deno permission or file mode). */
export class ModelsFolderNotWritableError extends ApiError {
  constructor(dir: string, cause: unknown) {
    super(
      "internal",
      "models_folder_not_writable",
      `The server cannot write to its models folder ${dir}: grant it --allow-write for that ` +
        `folder and make the folder writable by its user (${(cause as Error).message}).`,
      { cause },
    );
  }
}

function writeAccess(dir: string, err: unknown): unknown {
  const denied = err instanceof Deno.errors.NotCapable ||
    err instanceof Deno.errors.PermissionDenied;
  return denied ? new ModelsFolderNotWritableError(dir, err) : err;
}

export interface ModelAdminOptions {
  modelsDir: string;
  /** HF_ENDPOINT and HF_TOKEN (read by the caller). */
  hubEndpoint?: string;
  hubToken?: string;
  registry: ModelRegistry;
  /** Ids of the models the runtime holds or is loading now. */
  modelsInUse: () => readonly string[];
  /** Rescans the models folder (the watcher's `refresh`). */
  refresh: () => Promise<unknown>;
  fetch?: typeof fetch;
}

export function createModelAdmin(opts: ModelAdminOptions): ModelAdmin {
  /** A removal target (folder, link or root-level file) that holds a model in use. */
  const inUse = (path: string): boolean =>
    opts.modelsInUse().some((id) => {
      const file = opts.registry.get(id)?.path;
      return file !== undefined && (file === path || file.startsWith(path + sep));
    });

  return {
    async *pull(reference, signal) {
      const pull = pullModel(reference, {
        modelsDir: opts.modelsDir,
        endpoint: opts.hubEndpoint,
        token: opts.hubToken,
        signal,
        fetch: opts.fetch,
      });
      for (;;) {
        const step = await pull.next().catch((err) => {
          throw writeAccess(opts.modelsDir, err);
        });
        if (step.done) return step.value;
        // A client that lists the models after `success` must find the new one.
        if (step.value.status === "success") await opts.refresh();
        yield step.value;
      }
    },
    async remove(name) {
      const removed = await removeModel(opts.modelsDir, name, { isLoaded: inUse }).catch((err) => {
        throw writeAccess(opts.modelsDir, err);
      });
      await opts.refresh();
      return removed;
    },
  };
}

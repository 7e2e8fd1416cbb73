/**
 * The live models folder: rescans the folder into the registry when it changes, so a model
 * added, removed or renamed while the server runs is served without a restart. Changes are seen
 * through `Deno.watchFs` (recursive) and debounced: a copy that writes for minutes triggers one
 * rescan once the folder has been quiet. Where the folder cannot be watched (missing, no inotify
 * watches left, a filesystem without events) it is rescanned every `pollMs`, and watching is
 * tried again at each tick. `refresh()` rescans at once (after a pull or a delete, or when a load
 * fails because a file moved); concurrent calls share one scan.
 *
 * A rescan only replaces the registry's entries: a loaded model is not unloaded, a running
 * generation is not disturbed. Imports only src/models and the logger.
 */
import { basename, resolve } from "node:path";
import type { Logger } from "../log.ts";
import {
  MODEL_CONFIG_FILE,
  MODEL_SUFFIX,
  scanModels,
  type ScanOptions,
  VISION_ENCODER_SUFFIX,
} from "./discovery.ts";
import type { ModelRegistry, RegistryChange } from "./registry.ts";

export interface WatchOptions {
  log: Logger;
  scan?: ScanOptions;
  /** Quiet time after the last change before the rescan; default 1000 ms. */
  debounceMs?: number;
  /** Rescan period while the folder cannot be watched; default 5000 ms. */
  pollMs?: number;
  /** false: never watch, only poll (filesystems whose events are unreliable, e.g. NFS). */
  watch?: boolean;
}

export interface ModelWatcher {
  /** Rescans now; resolves with what changed. */
  refresh(): Promise<RegistryChange>;
  /** Stops watching and polling; resolves once a running scan has finished. */
  close(): Promise<void>;
}

export const DEFAULT_DEBOUNCE_MS = 1000;
export const DEFAULT_POLL_MS = 5000;

/** Files discovery reads; changes to other files (logs, partial downloads) do not matter. */
function isModelFile(path: string): boolean {
  const name = basename(path);
  return name.endsWith(MODEL_SUFFIX) || name.endsWith(VISION_ENCODER_SUFFIX) ||
    name === MODEL_CONFIG_FILE;
}

/** Whether a filesystem event can change what discovery finds. */
export function isRelevantEvent(event: Pick<Deno.FsEvent, "kind" | "paths">): boolean {
  if (event.kind === "access") return false;
  // Writes into a file change its size at most; only the files discovery reads count.
  if (event.kind === "modify") return event.paths.some(isModelFile);
  // Discovery skips hidden entries (and the pull record file is one).
  return event.paths.some((p) => !basename(p).startsWith("."));
}

export function watchModels(
  dir: string,
  registry: ModelRegistry,
  opts: WatchOptions,
): ModelWatcher {
  const root = resolve(dir);
  const log = opts.log;
  const debounceMs = opts.debounceMs ?? DEFAULT_DEBOUNCE_MS;
  const pollMs = opts.pollMs ?? DEFAULT_POLL_MS;
  let closed = false;
  let watcher: Deno.FsWatcher | null = null;
  let watchLoop: Promise<void> = Promise.resolve();
  let debounce: ReturnType<typeof setTimeout> | undefined;
  let poll: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<RegistryChange> | null = null;
  let queued: Promise<RegistryChange> | null = null;
  /** Scan warnings already logged: a missing folder is reported once, not at every poll. */
  let reported = new Set<string>();
  /** Whether the last attempt to watch failed (its reason is logged once, not at every tick). */
  let watchFailing = false;

  async function rescan(): Promise<RegistryChange> {
    const scan = await scanModels(root, opts.scan);
    const warnings = new Set(scan.warnings);
    for (const warning of warnings) if (!reported.has(warning)) log.warn("models", warning);
    reported = warnings;
    const change = registry.replace(scan.models);
    for (const id of change.added) {
      log.info("models", "model added", { id, file: registry.get(id)?.path });
    }
    for (const id of change.changed) {
      log.info("models", "model changed", { id, file: registry.get(id)?.path });
    }
    for (const id of change.removed) {
      // A loaded model stays loaded (and its running generation ends normally); new requests
      // cannot name it any more.
      log.warn("models", "model vanished from the models folder", { id });
    }
    return change;
  }

  function startScan(): Promise<RegistryChange> {
    const scan = rescan();
    running = scan;
    const clear = (): void => {
      if (running === scan) running = null;
    };
    scan.then(clear, clear);
    return scan;
  }

  function refresh(): Promise<RegistryChange> {
    // A change during a scan may have been missed by it: one more scan follows, shared by all
    // callers that arrive meanwhile.
    if (queued) return queued;
    if (!running) return startScan();
    const after = running.then(() => undefined, () => undefined);
    queued = after.then(() => {
      queued = null;
      return startScan();
    });
    return queued;
  }

  function refreshLogged(): void {
    refresh().catch((err) => log.error("models", "rescan failed", { error: String(err) }));
  }

  function scheduleRescan(): void {
    clearTimeout(debounce);
    debounce = setTimeout(() => {
      debounce = undefined;
      if (!closed) refreshLogged();
    }, debounceMs);
  }

  function tryWatch(): boolean {
    if (opts.watch === false) return false;
    try {
      watcher = Deno.watchFs(root, { recursive: true });
    } catch (err) {
      const why = err instanceof Deno.errors.NotFound ? "it does not exist" : String(err);
      if (!watchFailing) {
        log.warn("models", "cannot watch the models folder; rescanning it periodically", {
          dir: root,
          reason: why,
          every_s: pollMs / 1000,
        });
      }
      watchFailing = true;
      return false;
    }
    if (watchFailing) log.info("models", "watching the models folder again", { dir: root });
    watchFailing = false;
    const current = watcher;
    watchLoop = (async () => {
      try {
        for await (const event of current) {
          if (event.paths.includes(root) && event.kind === "remove") {
            // The folder itself went away: its watch is dead; poll until it is back.
            current.close();
            break;
          }
          if (isRelevantEvent(event)) scheduleRescan();
        }
      } catch (err) {
        log.warn("models", "watching the models folder failed", { error: String(err) });
      }
      if (watcher === current) watcher = null;
      if (!closed) {
        refreshLogged();
        schedulePoll();
      }
    })();
    return true;
  }

  function schedulePoll(): void {
    if (closed || pollMs <= 0) return;
    poll = setTimeout(() => {
      poll = undefined;
      if (closed) return;
      // Watching again when possible; the scan catches what changed in between.
      if (!tryWatch()) schedulePoll();
      refreshLogged();
    }, pollMs);
  }

  if (!tryWatch()) schedulePoll();

  return {
    refresh,
    async close() {
      closed = true;
      clearTimeout(debounce);
      clearTimeout(poll);
      try {
        watcher?.close();
      } catch {
        // already closed by its loop
      }
      await watchLoop;
      await (queued ?? running)?.catch(() => undefined);
    },
  };
}

/**
 * What this runtime's KV cache really does, measured instead of guessed. Rockchip documents
 * neither what a keep_history=0 run leaves behind, nor whether range clears and prompt-cache
 * files work as the header says; releases and readers disagree. A few tiny runs on a freshly
 * loaded model (one token each) read `rkllm_get_kv_cache_size` around pauses, aborts, range
 * clears and a file round trip, and the strategies the session may use follow from that.
 * The cache is left empty afterwards.
 *
 * Knows the NPU only through src/rkllm/npu.ts.
 */
import type { NpuModel, NpuRunInput } from "../rkllm/npu.ts";
import type { PromptFileStore } from "./prompt_files.ts";

export interface CacheTraits {
  /** `rkllm_get_kv_cache_size` answers (every other reading needs it). */
  sizeKnown: boolean;
  /**
   * What an ended keep_history=0 run leaves in the cache: nothing (`clear`), the cache as before
   * (`rollback`), or the cache as before but the run saw only the prefix it repeated (`reuse`).
   */
  keep0: "clear" | "rollback" | "reuse" | "unknown";
  /** A keep_history=0 run paused by its callback keeps the history and its own positions. */
  pauseKeeps: boolean;
  /** After such a pause, a range clear removes exactly that range. */
  rangeClear: boolean;
  /** Loading a prompt-cache file makes the cache exactly what was saved. */
  promptFiles: boolean;
  /** An aborted keep_history=1 run keeps its prompt and every token it delivered. */
  abortKeepsAll: boolean;
}

export const UNKNOWN_TRAITS: Readonly<CacheTraits> = Object.freeze({
  sizeKnown: false,
  keep0: "unknown",
  pauseKeeps: false,
  rangeClear: false,
  promptFiles: false,
  abortKeepsAll: false,
});

/** How a background task may run without costing the chat its cache (see session.ts). */
export type TaskStrategy = "rollback" | "pause-clear" | "file" | "none";

/** The cheapest strategy the measured traits allow. */
export function taskStrategy(t: CacheTraits): TaskStrategy {
  if (!t.sizeKnown) return "none";
  if (t.keep0 === "rollback") return "rollback";
  if (t.pauseKeeps && t.rangeClear) return "pause-clear";
  if (t.promptFiles) return "file";
  return "none";
}

const HISTORY_PROBE = "Calibration: the cache holds this turn.";
const RUN_PROBE = "Calibration: one more short input.";

/** A probe is a few tokens; a runtime that takes longer than this is not answering. */
const PROBE_TIMEOUT_MS = 10_000;

interface ProbeResult {
  ended: "finish" | "paused" | "aborted" | "error";
  tokens: number;
}

/** Runs one probe: stops after its first token by pausing (or aborting) the run. */
async function probe(
  npu: NpuModel,
  input: Pick<NpuRunInput, "prompt" | "keepHistory" | "saveCacheTo">,
  stop: "pause" | "abort",
): Promise<ProbeResult> {
  const run = npu.run({
    role: "user",
    enableThinking: false,
    maxNewTokens: 4,
    ...input,
    ...(stop === "pause" ? { pauseWhen: () => true } : {}),
  });
  let tokens = 0;
  let ended: ProbeResult["ended"] = "aborted";
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    run.abort();
  }, PROBE_TIMEOUT_MS);
  try {
    for await (const event of run.events) {
      if (event.type === "text") {
        tokens++;
        if (stop === "abort") run.abort();
      } else if (event.type === "finish") ended = "finish";
      else if (event.type === "paused") ended = "paused";
      else if (event.type === "error") ended = "error";
    }
    await run.settled;
  } finally {
    clearTimeout(timer);
  }
  if (timedOut) throw new Error(`a calibration run gave no answer within ${PROBE_TIMEOUT_MS} ms`);
  return { ended, tokens };
}

/** The cache holding exactly the history probe again; its size. */
async function historyOnly(npu: NpuModel): Promise<number | null> {
  await npu.clearKvCache(false);
  await probe(npu, { prompt: HISTORY_PROBE, keepHistory: true }, "pause");
  return await npu.kvCacheSize();
}

/**
 * Measures the traits on `npu` (its cache must be free to use: right after load). Without a
 * file store, prompt-cache files are not tried.
 */
export async function calibrate(
  npu: NpuModel,
  files: PromptFileStore | null,
): Promise<CacheTraits> {
  const t: CacheTraits = { ...UNKNOWN_TRAITS };
  try {
    const held = await historyOnly(npu);
    if (held === null || held <= 0) return t;
    t.sizeKnown = true;

    // A paused keep_history=0 run on top of the history, then a range clear of its positions.
    const paused = await probe(npu, { prompt: RUN_PROBE, keepHistory: false }, "pause");
    const afterPause = await npu.kvCacheSize();
    t.pauseKeeps = paused.ended === "paused" && afterPause !== null && afterPause > held;
    /** Positions a continuation input of RUN_PROBE takes, its one token included. */
    const runPositions = t.pauseKeeps ? afterPause! - held : null;
    if (t.pauseKeeps) {
      try {
        await npu.clearKvCacheRange(held, afterPause!);
        t.rangeClear = (await npu.kvCacheSize()) === held;
      } catch {
        t.rangeClear = false;
      }
    }
    if ((await npu.kvCacheSize()) !== held && (await historyOnly(npu)) !== held) return t;

    // An ended keep_history=0 run: what is left of the history?
    await probe(npu, { prompt: RUN_PROBE, keepHistory: false }, "abort");
    const afterRun = await npu.kvCacheSize();
    t.keep0 = afterRun === held
      ? (afterPause !== null && afterPause < held ? "reuse" : "rollback")
      : afterRun === 0
      ? "clear"
      : "unknown";
    if (afterRun !== held && (await historyOnly(npu)) !== held) return t;

    // An aborted keep_history=1 run: prompt and delivered tokens kept?
    if (runPositions !== null) {
      const aborted = await probe(npu, { prompt: RUN_PROBE, keepHistory: true }, "abort");
      const afterAbort = await npu.kvCacheSize();
      // The continuation takes runPositions with one token; each further token adds one.
      t.abortKeepsAll = afterAbort === held + runPositions - 1 + aborted.tokens;
    }

    if (files) t.promptFiles = await filesRestore(npu, files);
    return t;
  } finally {
    await npu.clearKvCache(false).catch(() => {});
  }
}

/** Saves the cache of a short run to a file, empties the cache and loads the file back. */
async function filesRestore(npu: NpuModel, files: PromptFileStore): Promise<boolean> {
  const path = files.newPath();
  try {
    await npu.clearKvCache(false);
    await probe(npu, { prompt: HISTORY_PROBE, keepHistory: true, saveCacheTo: path }, "pause");
    const saved = await npu.kvCacheSize();
    await npu.clearKvCache(false);
    await npu.loadPromptCache(path);
    const loaded = await npu.kvCacheSize();
    await npu.releasePromptCache().catch(() => {});
    return saved !== null && saved > 0 && loaded === saved;
  } catch {
    return false;
  } finally {
    await files.discard(path);
  }
}

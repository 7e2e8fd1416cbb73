/**
 * The soak's request plans: which model, streamed or not, where a stream is cut, and a prompt
 * unique across the run (the call log is matched to requests by prompt). Every choice comes from
 * a seeded PRNG, so a plan is reproducible from its seed. Pure: no I/O.
 */

export const QWEN = "qwen3-1.7b";
export const PHI = "phi-3-mini-4k-instruct";
export const MODELS = [QWEN, PHI] as const;
/** Which init `model_path` belongs to which model id. */
export const MODEL_PATH: Record<string, RegExp> = { [QWEN]: /Qwen3-1\.7B/, [PHI]: /Phi-3/ };

/** Words the mock generates per run; a cut lands anywhere in a stream of this many frames. */
export const TOKENS = 20;

/** mulberry32: small, fast, good enough to pick request shapes reproducibly. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Job {
  index: number;
  model: string;
  stream: boolean;
  /** Streams only: abort the connection once this many SSE data frames were read. */
  cutAfter: number | null;
  prompt: string;
}

export interface PlanOptions {
  seed: number;
  requests: number;
  /** Tells the phases apart in prompts (and so in the call log). */
  label: string;
  streamShare: number;
  /** Share of the streamed requests that disconnect mid-stream. */
  cutShare: number;
}

const WORDS = ["river", "lamp", "orbit", "maple", "signal", "copper", "harbor", "violet"];

export function makePlan(opts: PlanOptions): Job[] {
  // One stream of numbers per phase, so a phase's plan does not depend on the others' sizes.
  const rand = mulberry32(opts.seed ^ hash(opts.label));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  return Array.from({ length: opts.requests }, (_, index) => {
    const model = pick(MODELS);
    const stream = rand() < opts.streamShare;
    // Frame 1 is the role chunk (sent before the NPU is even held), frames 2…TOKENS+1 carry
    // content: a cut after 1…TOKENS frames lands anywhere from "still queued" to "last token".
    const cutAfter = stream && rand() < opts.cutShare ? 1 + Math.floor(rand() * TOKENS) : null;
    const words = Array.from({ length: 2 + Math.floor(rand() * 6) }, () => pick(WORDS));
    return {
      index,
      model,
      stream,
      cutAfter,
      prompt: `soak ${opts.label} #${index} (seed ${opts.seed}): tell me about ${words.join(" ")}`,
    };
  });
}

/** FNV-1a of a label, to derive a phase's seed. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * Context length guessed from a model's file or folder name (as the Python server this project replaces did), one name at a time.
 *
 * The caller decides which names to try (file basename, then the model folder's name) and the
 * fallback; the reference matched against the whole absolute path, which let unrelated parent
 * folders (even the home directory) decide the context. Pure: imports nothing.
 */

/** Substring rules, checked in this order before the generic pattern. */
const NAMED_SIZES: ReadonlyArray<readonly [suffix: string, tokens: number]> = [
  ["32k", 32768],
  ["16k", 16384],
  ["8k", 8192],
  ["4k", 4096],
  ["2k", 2048],
];

const GENERIC_SIZE = /[-_](\d+)k[-_.]/;

/**
 * Context length encoded in `name` (e.g. `Qwen3-1.7B-4K` → 4096, `model-128k-w8.rkllm` → 131072),
 * or undefined when the name carries none.
 */
export function contextLengthFromName(name: string): number | undefined {
  const lower = name.toLowerCase();
  // Loose substring test on purpose (reference behaviour): `foo_4kv` still means 4096.
  for (const [suffix, tokens] of NAMED_SIZES) {
    if (lower.includes(`-${suffix}`) || lower.includes(`_${suffix}`)) return tokens;
  }
  const match = GENERIC_SIZE.exec(lower);
  if (match === null) return undefined;
  const tokens = Number(match[1]) * 1024;
  // `-0k-` or an absurd digit run is not a context length.
  return tokens > 0 && Number.isSafeInteger(tokens) ? tokens : undefined;
}

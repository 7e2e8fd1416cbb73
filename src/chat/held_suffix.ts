/**
 * Streaming text scanners (think tags, tool-call tags, stop sequences) must hold back the end of
 * a piece that may still become a marker once the next piece arrives. Pure; imports nothing.
 */

/** Length of the longest suffix of `text` that is a proper prefix of one of `markers`. */
export function heldSuffixLength(text: string, markers: readonly string[]): number {
  const longest = Math.max(0, ...markers.map((m) => m.length)) - 1;
  for (let k = Math.min(longest, text.length); k > 0; k--) {
    const suffix = text.slice(text.length - k);
    if (markers.some((m) => m.startsWith(suffix))) return k;
  }
  return 0;
}

/**
 * Lines a site prints on every page: a line that two result pages of one site (the same host,
 * different addresses) both carry word for word is the site's frame (a disclaimer, a newsletter
 * prompt, "Was this article helpful?"), not what either page says. Two chunks of one page share
 * their overlap and are no evidence; two sites that carry one paragraph share a fact.
 *
 * Pure: no Deno APIs, no clock, no I/O. Imports only src/rag/coverage.ts and the RagSource type.
 */
import { siteAddress } from "./coverage.ts";
import type { RagSource } from "./detect.ts";

/** A page line as the cleaner reads it: trimmed, whitespace runs collapsed. */
export function pageLine(raw: string): string {
  return raw.trim().replace(/\s{2,}/g, " ");
}

/** Per source (by index), the lines another page of its site repeats word for word. */
export function siteRepeats(sources: readonly RagSource[]): ReadonlySet<string>[] {
  const out = sources.map(() => new Set<string>());
  const bySite = new Map<string, number[]>();
  sources.forEach((s, i) => {
    const host = siteAddress(s.name)?.host;
    if (host !== undefined) bySite.set(host, [...bySite.get(host) ?? [], i]);
  });
  for (const members of bySite.values()) {
    if (new Set(members.map((i) => sources[i].name)).size < 2) continue;
    const lines = new Map(
      members.map((i) => [i, sources[i].text.split("\n").map(pageLine).filter((l) => l !== "")]),
    );
    /** Line → the addresses that carry it. */
    const seen = new Map<string, Set<string | null>>();
    for (const [i, page] of lines) {
      for (const line of page) {
        const names = seen.get(line) ?? new Set();
        seen.set(line, names);
        names.add(sources[i].name);
      }
    }
    for (const [i, page] of lines) {
      for (const line of page) if (seen.get(line)!.size >= 2) out[i].add(line);
    }
  }
  return out;
}

/**
 * Lines a site prints on every page: a line that two result pages of one site (the same host,
 * different addresses) both carry word for word is the site's frame (a disclaimer, a newsletter
 * prompt, "Was this article helpful?"), not what either page says. Two chunks of one page share
 * their overlap and are no evidence; two sites that carry one paragraph share a fact.
 *
 * Pure: no Deno APIs, no clock, no I/O. Imports only the RagSource type.
 */
import type { RagSource } from "./detect.ts";

/** A page line as the cleaner reads it: trimmed, whitespace runs collapsed. */
export function pageLine(raw: string): string {
  return raw.trim().replace(/\s{2,}/g, " ");
}

function host(name: string | null): string | null {
  if (name === null || !/^https?:\/\//i.test(name)) return null;
  try {
    return new URL(name).host.toLowerCase().replace(/^www\./, "");
  } catch {
    return null;
  }
}

/** Per source (by index), the lines another page of its site repeats word for word. */
export function siteRepeats(sources: readonly RagSource[]): ReadonlySet<string>[] {
  const out = sources.map(() => new Set<string>());
  const bySite = new Map<string, number[]>();
  sources.forEach((s, i) => {
    const h = host(s.name);
    if (h !== null) bySite.set(h, [...bySite.get(h) ?? [], i]);
  });
  for (const members of bySite.values()) {
    if (new Set(members.map((i) => sources[i].name)).size < 2) continue;
    /** Line → the addresses that carry it. */
    const seen = new Map<string, Set<string | null>>();
    for (const i of members) {
      for (const raw of sources[i].text.split("\n")) {
        const line = pageLine(raw);
        if (line === "") continue;
        const names = seen.get(line) ?? new Set();
        seen.set(line, names);
        names.add(sources[i].name);
      }
    }
    for (const i of members) {
      for (const raw of sources[i].text.split("\n")) {
        const line = pageLine(raw);
        if ((seen.get(line)?.size ?? 0) >= 2) out[i].add(line);
      }
    }
  }
  return out;
}

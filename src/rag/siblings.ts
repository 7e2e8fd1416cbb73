/**
 * Result pages of one site told apart by their addresses. Two pages of a site share the words of
 * its sections (study/postgraduate); what each address has and the other has not is what the
 * page is about (msc-data-science, accommodation). When one page's own words name the question
 * and its sibling's own words name none of it, the sibling is about the site's other thing: the
 * other course, the other car model, the other station.
 *
 * Pure: no Deno APIs, no clock, no I/O. Imports only src/rag/coverage.ts and the RagSource type.
 */
import { addressWords, inAddress, siteAddress } from "./coverage.ts";
import type { RagSource } from "./detect.ts";

/** A word of an address that says what a page is about: no number, three letters or more. */
const MIN_WORD = 3;

/** Ids of the pages a sibling of the same site outnames (`terms`: the question's words). */
export function offSubjectSiblings(
  terms: readonly string[],
  sources: readonly RagSource[],
): Set<string> {
  const pages = new Map<string, { host: string; path: string[] }>();
  for (const s of sources) {
    const site = siteAddress(s.name);
    if (site && !pages.has(s.id)) {
      pages.set(s.id, { host: site.host, path: addressWords(site.path) });
    }
  }
  const about = (w: string) => !/\d/.test(w) && w.length >= MIN_WORD;
  const named = (words: readonly string[]) => terms.some((t) => inAddress(t, words));
  const out = new Set<string>();
  for (const [id, page] of pages) {
    for (const [other, sibling] of pages) {
      if (other === id || sibling.host !== page.host) continue;
      const mine = page.path.filter((w) => about(w) && !sibling.path.includes(w));
      const theirs = sibling.path.filter((w) => about(w) && !page.path.includes(w));
      if (mine.length > 0 && !named(mine) && named(theirs)) out.add(id);
    }
  }
  return out;
}

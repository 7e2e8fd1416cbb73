/**
 * The corpus case format (see README.md beside this file) → labelled Open WebUI requests.
 */
import type { ChatMessage } from "../../../src/chat/messages.ts";

/**
 * Load order: the order the splits were written in. From `blind` on, each was written without
 * sight of the cleaner or the other splits; which of them are still unseen is in README.md.
 */
export const SPLITS = [
  "heldout",
  "tuning",
  "blind",
  "final",
  "final2",
  "final3",
  "final4",
  "final5",
  "final6",
  "final7",
  "final8",
  "final9",
  "final10",
] as const;
export type Split = typeof SPLITS[number];

export interface CaseSource {
  id: string;
  name: string;
  irrelevant: boolean;
  lines: string[];
}

export interface CorpusCase {
  file: string;
  split: Split;
  lang: string;
  kind: string;
  question: string;
  history: ChatMessage[];
  sources: CaseSource[];
  facts: { id: string; text: string }[];
  junk: string[];
  /** Ids of sources that must be dropped. */
  irrelevant: string[];
  /** Every source is irrelevant: the model must be told the search found nothing. */
  abstain: boolean;
}

const SOURCE_HEADER = /^--- (\S+) (\S+)( irrelevant)?$/;

export function parseCase(file: string, split: Split, text: string): CorpusCase {
  const header = new Map<string, string>();
  const history: ChatMessage[] = [];
  const sources: CaseSource[] = [];
  const facts: { id: string; text: string }[] = [];
  const junk: string[] = [];
  for (const line of text.split("\n")) {
    const head = SOURCE_HEADER.exec(line);
    if (head) {
      sources.push({ id: head[1], name: head[2], irrelevant: head[3] !== undefined, lines: [] });
      continue;
    }
    const source = sources.at(-1);
    if (!source) {
      const m = /^(\w+): (.*)$/.exec(line);
      if (!m) continue;
      if (m[1] === "history") {
        const [role, content] = m[2].split(" | ");
        history.push({ role: role as ChatMessage["role"], content });
      } else header.set(m[1], m[2]);
      continue;
    }
    const mark = line.slice(0, 2);
    const body = ["+ ", "- ", "= "].includes(mark) ? line.slice(2) : line;
    if (mark === "+ ") facts.push({ id: source.id, text: body });
    if (mark === "- ") junk.push(body);
    source.lines.push(body);
  }
  const question = header.get("question");
  if (!question || sources.length === 0) throw new Error(`${file}: no question or no sources`);
  const irrelevant = [...new Set(sources.filter((s) => s.irrelevant).map((s) => s.id))];
  return {
    file,
    split,
    lang: header.get("lang") ?? "?",
    kind: header.get("kind") ?? "?",
    question,
    history,
    sources,
    facts,
    junk,
    irrelevant,
    abstain: sources.every((s) => s.irrelevant),
  };
}

const TASK = "### Task:\nRespond to the user query using the provided context, incorporating " +
  "inline citations in the format [id] **only when the <source> tag includes an explicit id " +
  'attribute** (e.g., <source id="1">).\n\n### Guidelines:\n- If you don\'t know the answer, ' +
  "clearly state that.\n- Respond in the same language as the user's query.\n\n";

/** The request messages Open WebUI sends for a case (default template, user placement). */
export function caseMessages(c: CorpusCase): ChatMessage[] {
  const context = c.sources.map((s) =>
    `<source id="${s.id}" name="${s.name}" resource-type="web_search">` +
    `${s.lines.join("\n")}</source>`
  ).join("\n");
  return [
    { role: "system", content: "You are a helpful assistant." },
    ...c.history,
    { role: "user", content: `${TASK}<context>\n${context}\n</context>\n\n${c.question}` },
  ];
}

/** All cases of the corpus, split by split in SPLITS order, each split in file order. */
export function loadCorpus(dir = new URL(".", import.meta.url)): CorpusCase[] {
  return SPLITS.flatMap((split) => {
    const folder = new URL(`${split}/`, dir);
    const files = [...Deno.readDirSync(folder)].map((e) => e.name)
      .filter((n) => n.endsWith(".txt")).sort();
    return files.map((f) => parseCase(f, split, Deno.readTextFileSync(new URL(f, folder))));
  });
}

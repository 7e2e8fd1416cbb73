/**
 * Language-aware text primitives for the cleaner: words (Intl.Segmenter, so CJK text without
 * spaces splits into words), the language of a text by stopword hits (all stopwords-iso lists:
 * a page in Swedish, Polish, Turkish or Korean needs its own as much as one in German), stopword
 * density, and sentences that do not end at abbreviations or decimals and do end at CJK
 * punctuation.
 *
 * Pure: no Deno APIs, no clock, no I/O.
 */
import stopwordsIso from "stopwords-iso" with { type: "json" };

/** An ISO 639-1 code of a stopwords-iso list. */
export type Language = string;

const LISTS = stopwordsIso as Record<string, string[]>;
/** The most used languages first: a tie in stopword hits goes to the earlier one. */
const FIRST = ["en", "de", "fr", "es", "it", "pt", "nl", "ru", "zh", "ja"];
const LANGUAGES: readonly Language[] = [
  ...FIRST,
  ...Object.keys(LISTS).filter((l) => !FIRST.includes(l)).sort(),
];
const LANGUAGE_INDEX: ReadonlyMap<Language, number> = new Map(LANGUAGES.map((l, i) => [l, i]));

const WORDS = new Intl.Segmenter("und", { granularity: "word" });
const SENTENCES = new Intl.Segmenter("und", { granularity: "sentence" });
const KANA = /[\p{Script=Hiragana}\p{Script=Katakana}]/u;

/** Scripts written without spaces between words: only Intl.Segmenter can split them. */
const UNSPACED =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;
const RUN = /[\p{L}\p{M}\p{Nd}_]+/gu;
/** Armenian writes its emphasis, exclamation and question marks inside the word (Ե՞րբ). */
const WORD_INNER_MARKS = /(?<=\p{L})[\u055B\u055C\u055E](?=\p{L})/gu;
const DIGIT = /\p{Nd}/u;
const LETTER = /\p{L}/u;

/**
 * The lower-cased words of a text, as Intl.Segmenter's word-like segments: the segmenter for
 * scripts without spaces, else (five times faster, the same words) runs of letters and digits,
 * joined across `.` `,` `'` between digits (36.10, 4,1) and an apostrophe between letters.
 */
export function words(text: string): string[] {
  const lower = text.toLowerCase().replace(WORD_INNER_MARKS, "");
  const out: string[] = [];
  if (UNSPACED.test(lower)) {
    for (const s of WORDS.segment(lower)) if (s.isWordLike) out.push(s.segment);
    return out;
  }
  let end = -2;
  for (const m of lower.matchAll(RUN)) {
    const sep = lower[end];
    const prev = out[out.length - 1];
    const joined = m.index === end + 1 && prev !== undefined && (
      (".,'".includes(sep) && DIGIT.test(prev[prev.length - 1]) && DIGIT.test(m[0][0])) ||
      ("'’".includes(sep) && LETTER.test(prev[prev.length - 1]) && LETTER.test(m[0][0]))
    );
    if (joined) out[out.length - 1] = prev + sep + m[0];
    else out.push(m[0]);
    end = m.index + m[0].length;
  }
  return out;
}

/** Words in scripts whose accents are marks on a base letter (not kana or Hangul syllables). */
const ACCENTED = /^[\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}\p{M}\p{N}_'’.,-]+$/u;

/**
 * A lower-cased word without its accents (horário = horario, für = fur), so that an inflection
 * that moves the accent still shares its stem; words of other scripts as they are.
 */
export function foldWord(word: string): string {
  if (/^[ -~]*$/.test(word) || !ACCENTED.test(word)) return word;
  return word.normalize("NFD").replace(/\p{M}+/gu, "").normalize("NFC");
}

/** A Latin-script word joined across one apostrophe: l'altezza, dell'impasto, landlord's. */
const APOSTROPHE_WORD = /^([\p{Script=Latin}\p{M}]+)['’]([\p{Script=Latin}\p{M}]+)$/u;
/** Articles and prepositions elided before a vowel: l', j', qu', jusqu', dell', all'. */
const ELIDED = /^(?:\p{L}{1,2}|\p{L}*(?:qu|ll))$/u;
const MAX_SUFFIX = 3;

/**
 * The word a query and a page share, without what an apostrophe glues to it: the elided article
 * before (French, Italian, Catalan: l'altezza = altezza) or a short suffix after (English 's,
 * Turkish case endings: İstanbul'da = İstanbul). Other scripts keep their apostrophes (Ukrainian
 * writes one inside words).
 */
export function elide(word: string): string {
  const m = APOSTROPHE_WORD.exec(word);
  if (!m) return word;
  const [, before, after] = m;
  if (ELIDED.test(before)) return after;
  if (before.length >= 3 && after.length <= MAX_SUFFIX) return before;
  return word;
}

const NOT_LETTER = /\P{L}+/gu;
const NOT_CJK = /[^\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]+/gu;

/** True when the text is mostly Chinese or Japanese characters. */
export function isCjk(text: string): boolean {
  const letters = text.replace(NOT_LETTER, "").length;
  return letters > 0 && text.replace(NOT_CJK, "").length / letters > 0.3;
}

const NOT_HANGUL = /\P{Script=Hangul}+/gu;

/** True when the text is mostly Korean letters. */
export function isHangul(text: string): boolean {
  const letters = text.replace(NOT_LETTER, "").length;
  return letters > 0 && text.replace(NOT_HANGUL, "").length / letters > 0.3;
}

/**
 * The language whose stopwords the words hit most (kana → ja, other CJK → zh, Hangul → ko); en
 * if none.
 */
export function detectLanguage(tokens: readonly string[], sample: string): Language {
  if (isCjk(sample)) return KANA.test(sample) ? "ja" : "zh";
  if (isHangul(sample)) return "ko";
  const hits = new Array<number>(LANGUAGES.length).fill(0);
  const index = languagesOf();
  for (const w of tokens) for (const l of index.get(w) ?? []) hits[l]++;
  let best = 0;
  hits.forEach((n, l) => n > hits[best] && (best = l));
  return hits[best] > 0 ? LANGUAGES[best] : "en";
}

let stopwordIndex: Map<string, number[]> | null = null;

/**
 * Each stopword → the indexes (in LANGUAGES) of the languages it is a stopword of; built on the
 * first use, so a server that never sees retrieved context does not pay for it at start.
 */
function languagesOf(): ReadonlyMap<string, readonly number[]> {
  if (stopwordIndex) return stopwordIndex;
  const out = new Map<string, number[]>();
  LANGUAGES.forEach((lang, l) => {
    for (const w of new Set(LISTS[lang])) {
      if (/\d/.test(w)) continue;
      const list = out.get(w);
      if (list) list.push(l);
      else out.set(w, [l]);
    }
  });
  return stopwordIndex = out;
}

export function isStopword(word: string, lang: Language): boolean {
  const l = LANGUAGE_INDEX.get(lang);
  return l !== undefined && (languagesOf().get(word)?.includes(l) ?? false);
}

/** A stopword of any of the languages: for texts too short to tell their language. */
export function isAnyStopword(word: string): boolean {
  return languagesOf().has(word);
}

/** Share of the words that are stopwords of the language (0 for no words). */
export function stopwordDensity(tokens: readonly string[], lang: Language): number {
  if (tokens.length === 0) return 0;
  return tokens.filter((w) => isStopword(w, lang)).length / tokens.length;
}

/**
 * A short capitalised word or a dotted run ending in a dot (Dr., Min., z.B., d.C.) does not end a
 * sentence; a lower-case unit (kg.) does, unless lower case follows (then the join is anyway).
 */
const ABBREVIATION = /^(?:\p{Lu}\p{Ll}{0,2}\.|(?:\p{L}\.){2,})$/u;
/** Longer last words are not abbreviations (and the check stays bounded). */
const MAX_ABBREVIATION = 24;

/** True when the text's last word is an abbreviation (looked at from the end, bounded). */
export function endsWithAbbreviation(text: string): boolean {
  const end = text.trimEnd();
  let start = end.length;
  while (start > 0 && !/[\s(]/.test(end[start - 1])) {
    if (end.length - start >= MAX_ABBREVIATION) return false;
    start--;
  }
  return ABBREVIATION.test(end.slice(start));
}

/**
 * Sentences of a text, each with the whitespace after it (they join back to the text):
 * Intl.Segmenter's, with a line break read as a space (a unit's lines are not sentences by
 * themselves), re-joined after abbreviations and before lower case or a digit.
 */
export function sentences(text: string): string[] {
  const flat = text.replace(/[\r\n]/g, " ");
  const groups: string[][] = [];
  let last = "";
  for (const { index, segment } of SENTENCES.segment(flat)) {
    const piece = text.slice(index, index + segment.length);
    if (
      groups.length > 0 &&
      (last.trim() === "" || endsWithAbbreviation(last) || /^[\p{Ll}\d]/u.test(segment))
    ) {
      groups[groups.length - 1].push(piece);
    } else groups.push([piece]);
    last = piece;
  }
  return groups.map((g) => g.join(""));
}

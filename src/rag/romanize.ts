/**
 * Latin spellings of words in the alphabets whose sites write their addresses in Latin letters
 * (Cyrillic, Greek, Georgian, Armenian): "Речной вокзал" is /rechnoy-vokzal, "Θεσσαλονίκη"
 * /thessaloniki, "პითონის" /python. Schemes differ (rechnoy, rechnoi, rechnoj; tsentr, centr), so
 * both sides are compared in a squashed form that drops what the schemes disagree on.
 *
 * Pure: no Deno APIs, no clock, no I/O (a bounded cache of the forms it computed).
 */

/**
 * One Latin spelling per letter, as "letter spelling" pairs ("-" for a sign written as nothing);
 * letters not listed stay as they are.
 */
const PAIRS = [
  // Cyrillic (Russian, Ukrainian, Belarusian, Bulgarian, Serbian, Macedonian)
  "а a б b в v г g ґ g д d ђ dj ѓ gj е e ё e є ye ж zh з z ѕ dz и i і i ї i й y ј j к k ќ kj",
  "л l љ lj м m н n њ nj о o п p р r с s т t ћ c у u ў u ф f х kh ц ts ч ch џ dz ш sh щ shch",
  "ъ - ы y ь - э e ю yu я ya",
  // Greek (an accented letter is read as its base letter)
  "α a β v γ g δ d ε e ζ z η i θ th ι i κ k λ l μ m ν n ξ x ο o π p ρ r σ s ς s τ t υ y φ f",
  "χ ch ψ ps ω o",
  // Georgian
  "ა a ბ b გ g დ d ე e ვ v ზ z თ t ი i კ k ლ l მ m ნ n ო o პ p ჟ zh რ r ს s ტ t უ u ფ p ქ k",
  "ღ gh ყ q შ sh ჩ ch ც ts ძ dz წ ts ჭ ch ხ kh ჯ j ჰ h",
  // Armenian
  "ա a բ b գ g դ d ե e զ z է e ը e թ t ժ zh ի i լ l խ kh ծ ts կ k հ h ձ dz ղ gh ճ ch մ m յ y",
  "ն n շ sh ո o չ ch պ p ջ j ռ r ս s վ v տ t ր r ց ts ւ v փ p ք k օ o ֆ f և ev",
].join(" ").split(" ");
const LETTERS: ReadonlyMap<string, string> = new Map(
  PAIRS.flatMap((x, i) => i % 2 === 0 ? [[x, PAIRS[i + 1] === "-" ? "" : PAIRS[i + 1]]] : []),
);

const ROMANIZED = /[\p{Script=Cyrillic}\p{Script=Greek}\p{Script=Georgian}\p{Script=Armenian}]/u;

/** The word in Latin letters, or null when it has no letter of these alphabets. */
export function romanize(word: string): string | null {
  const lower = word.toLowerCase();
  if (!ROMANIZED.test(lower)) return null;
  // An accented letter (ί, ώ) is its base letter; й and ї have letters of their own.
  return [...lower.replaceAll("ու", "u")]
    .map((c) => LETTERS.get(c) ?? LETTERS.get(c.normalize("NFD")[0]) ?? c).join("");
}

/**
 * A letter code of these alphabets: Greek, Cyrillic and Armenian (U+0370–U+058F), Georgian
 * (U+10A0–U+10FF, Mtavruli U+1C90–U+1CBF). Read from a word's first letter, without a regex.
 */
export function romanizable(code: number): boolean {
  return (code >= 0x370 && code <= 0x58f) || (code >= 0x10a0 && code <= 0x10ff) ||
    (code >= 0x1c90 && code <= 0x1cbf);
}

/** Squashed Latin forms of words, read once (bounded: cleared when full). */
const LATIN_FORMS = new Map<string, string>();
const MAX_LATIN_FORMS = 50_000;

/** The word squashed in Latin letters (romanized first when it is of these alphabets). */
export function latinForm(word: string): string {
  let form = LATIN_FORMS.get(word);
  if (form === undefined) {
    if (LATIN_FORMS.size >= MAX_LATIN_FORMS) LATIN_FORMS.clear();
    form = squash(romanize(word) ?? word);
    LATIN_FORMS.set(word, form);
  }
  return form;
}

/**
 * A Latin word with what romanization schemes disagree on taken out: y, j and i are one letter,
 * kh and h, ts and c, ch and c, sh and s, zh and z (č, š, ž fold to c, s, z), x and ks, w and v;
 * doubled letters count once.
 */
export function squash(latin: string): string {
  return latin.replace(/kh/g, "h").replace(/ts/g, "c").replace(/(?<=[csz])h/g, "")
    .replace(/x/g, "ks").replace(/[yj]/g, "i")
    .replace(/w/g, "v").replace(/(.)\1+/g, "$1");
}

/**
 * Tests for src/rag/coverage.ts: which question term a page word matches, name-shaped words,
 * address words and whether an address names a word, word forms, and the question terms a
 * sentence puts other words in place of (a near miss's frame around another filler).
 */
import assert from "node:assert/strict";
import {
  addressWords,
  inAddress,
  nameWords,
  sameStem,
  sharePart,
  substituted,
  termIndex,
} from "../../src/rag/coverage.ts";
import { matchWords, queryTerms, singleNames } from "../../src/rag/select.ts";

const own = (question: string) => queryTerms(question, []).filter((t) => t.weight === 1);

Deno.test("termIndex() finds the question term a word matches", async (t) => {
  const terms = own("Wann hat das Hallenbad Süd in Erlangen geöffnet?");
  const rows: [string, string][] = [
    ["hallenbad", "hallenbad"],
    ["hallenbads", "hallenbad"],
    ["erlangen", "erlangen"],
    ["nürnberg", "-"],
    ["sonntag", "-"],
  ];
  for (const [word, expected] of rows) {
    await t.step(`termIndex(${word}) = ${expected}`, () => {
      const i = termIndex(terms, word);
      assert.equal(i < 0 ? "-" : terms[i].term, expected);
    });
  }
  await t.step("a CJK term inside a longer word", () => {
    const cjk = own("故宫博物院几点开门？");
    assert.ok(termIndex(cjk, "北京故宫") >= 0);
    assert.equal(termIndex(cjk, "颐和园"), -1);
  });
});

Deno.test("nameWords() keeps words shaped like names, folded", async (t) => {
  const rows: [string, string[]][] = [
    ["The Roborock S8 Pro has a dock.", ["roborock", "s8", "pro"]],
    ["Change the RDP port on Windows.", ["rdp", "windows"]],
    ["Bus. Then the train.", []],
    ["El Museo Reina Sofía abre", ["museo", "reina", "sofia"]],
    ["갤럭시 S23 울트라", ["s23"]],
    ["price 86 euros", []],
  ];
  for (const [text, expected] of rows) {
    await t.step(`nameWords(${JSON.stringify(text)})`, () => {
      assert.deepEqual([...nameWords(text)], expected);
    });
  }
});

Deno.test("addressWords() and inAddress(): folded, transliterated, glued", async (t) => {
  const address = addressWords("https://www.nuernberg-baden.example.de/hallenbad-sued");
  assert.deepEqual(address, [
    "https",
    "www",
    "nurnberg",
    "baden",
    "example",
    "de",
    "hallenbad",
    "sud",
  ]);
  const rows: [string, string, boolean][] = [
    ["Nürnberg", "https://www.nuernberg-baden.example.de/x", true],
    ["Süd", "https://www.nuernberg-baden.example.de/hallenbad-sued", true],
    ["bus", "https://www.busguiden.example.dk/kobenhavn-aarhus", true],
    ["tog", "https://www.busguiden.example.dk/kobenhavn-aarhus", false],
    ["Sofía", "https://www.guiamadrid.example.es/museo-reina-sofia", true],
    ["przeglądarkę", "https://techblog.example.pl/ubuntu-domyslna-przegladarka", true],
    ["Erlangen", "https://www.nuernberg-baden.example.de/hallenbad-sued", false],
    ["речной", "https://news.example.ru/gorod/rechnoy-vokzal-otkrytie", true],
    ["речной", "https://news.example.ru/gorod/rechnoi-vokzal", true],
    ["Θεσσαλονίκη", "https://meteo.example.gr/klima-thessalonikis", true],
    ["Αθήνα", "https://meteo.example.gr/klima-thessalonikis", false],
    ["театральная", "https://news.example.ru/gorod/rechnoy-vokzal-otkrytie", false],
  ];
  for (const [word, url, expected] of rows) {
    await t.step(`inAddress(${word}, ${url}) = ${expected}`, () => {
      assert.equal(inAddress(word, addressWords(url)), expected);
    });
  }
});

Deno.test("sharePart() tells parts of related compounds from rivals", async (t) => {
  const rows: [string, string, boolean][] = [
    ["Mietwohnung", "Vermieter", true], // both about renting
    ["Mietwohnung", "Arbeitnehmer", false],
    ["Windpocken", "Katzenschnupfen", false],
    ["Erlangen", "Nürnberg", false],
  ];
  for (const [a, b, expected] of rows) {
    await t.step(
      `sharePart(${a}, ${b}) = ${expected}`,
      () => assert.equal(sharePart(a, b), expected),
    );
  }
});

Deno.test("sameStem() tells forms of one word from other words", async (t) => {
  const rows: [string, string, boolean][] = [
    ["zamknięcia", "zamknięty", true],
    ["Nürnberg", "nurnberger", true],
    ["bus", "buses", false],
    ["przeglądarkę", "powłokę", false],
    ["komunikat", "zostanie", false],
  ];
  for (const [a, b, expected] of rows) {
    await t.step(
      `sameStem(${a}, ${b}) = ${expected}`,
      () => assert.equal(sameStem(a, b), expected),
    );
  }
});

Deno.test("substituted() finds the question words a sentence puts others in place of", async (t) => {
  const swapped = (question: string, sentence: string) => {
    const terms = own(question);
    const names = new Set([...nameWords(question), ...singleNames(question)]);
    return substituted(terms, matchWords(sentence), nameWords(sentence), names)
      .map((s) => `${terms[s.term].term}<-${s.by.join("+")}`);
  };
  const rows: [string, string, string, string[]][] = [
    [
      "a name between two question words",
      "When does the night train from Copenhagen to Aarhus leave?",
      "The night train from Copenhagen to Odense leaves at 23.32.",
      ["aarhus<-odense"],
    ],
    [
      "a plain word has no rivals (its stand-in may be a synonym)",
      "When does the night train from Copenhagen to Aarhus leave?",
      "The night bus from Copenhagen to Aarhus leaves at 22.45.",
      [],
    ],
    [
      "after the last question word, where the question has a name",
      "¿A qué hora abre el Museo del Prado los domingos?",
      "El Museo Reina Sofía abre los domingos.",
      ["prado<-reina+sofia"],
    ],
    [
      "a name only for a name",
      "Comment changer le port SSH sous Linux ?",
      "Comment changer le port d'écoute RDP sous Windows ?",
      ["ssh<-rdp+windows"],
    ],
    [
      "a number only for a number, next to the word before it",
      "Why does my Raspberry Pi 5 reboot?",
      "I pushed my Raspberry Pi 4 to 2.0 GHz and it has been stable for weeks.",
      ["5<-4"],
    ],
    [
      "a single capital is a name (vitamin D)",
      "Qual è la dose giornaliera di vitamina D per un adulto?",
      "Vitamina C: la dose giornaliera per un adulto è 90 mg.",
      ["d<-c"],
    ],
    [
      "a word the sentence names itself is not substituted",
      "When does the night train from Copenhagen to Aarhus leave?",
      "The night train, not the bus, from Copenhagen to Aarhus leaves at 23.32.",
      [],
    ],
    [
      "a form of the word itself is no other word",
      "Od kiedy zostanie zamknięty wiadukt?",
      "Zamknięcia wiaduktu nie będzie.",
      [],
    ],
    [
      "an omission is no substitution",
      "How do I increase the swap file size on Ubuntu 22.04?",
      "Increase the swap file on Ubuntu with fallocate.",
      [],
    ],
    [
      "an insertion between adjacent question words is none either",
      "How long does the battery of the Roborock Q7 last?",
      "The battery of the Roborock Q7 Max lasts 180 minutes.",
      [],
    ],
    [
      "a long run is another text",
      "When does the night train from Copenhagen to Aarhus leave?",
      "The last of the summer concerts in Copenhagen, held by the Royal Danish Orchestra, and the ferry to Aarhus",
      [],
    ],
  ];
  for (const [name, question, sentence, expected] of rows) {
    await t.step(name, () => assert.deepEqual(swapped(question, sentence), expected));
  }
});

Deno.test("singleNames() finds a capital or a digit standing alone after a word", async (t) => {
  const rows: [string, string[]][] = [
    ["How much vitamin D does an adult need?", ["d"]],
    ["Why does my Raspberry Pi 5 reboot?", ["5"]],
    ["Can I use Plan B here?", ["b"]],
    ["Dove si trova l'Università d'Italia?", []],
    ["A quick question", []],
  ];
  for (const [text, expected] of rows) {
    await t.step(`singleNames(${JSON.stringify(text)})`, () => {
      assert.deepEqual([...singleNames(text)], expected);
    });
  }
});

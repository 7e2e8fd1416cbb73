/**
 * Tests for src/rag/entities.ts: the names of a question (identifiers, mid-sentence capitals,
 * groups of adjacent names), accent folding and pieces, inflections, and whether a page names a
 * name or a group (in its text or its address; part of a group unless another name stands in
 * the missing part's place).
 */
import assert from "node:assert/strict";
import {
  addressRival,
  fold,
  inflects,
  names,
  namesGroup,
  pageIndex,
  pieces,
  questionEntities,
} from "../../src/rag/entities.ts";

/**
 * A question's groups as `piece·piece` (`*` marks an identifier, `^` another designation), groups
 * joined by " | ".
 */
const shown = (question: string) =>
  questionEntities(question).map((g) =>
    g.map((e) => `${e.pieces.join("·")}${e.id ? "*" : e.strict ? "^" : ""}`).join(" ")
  ).join(" | ");

Deno.test("questionEntities() finds names by shape, in groups of adjacent ones", async (t) => {
  const rows: [string, string, string][] = [
    [
      "a model number and a brand",
      "How much is the Roborock Q7 Max in Spain?",
      "roborock q·7* max | spain",
    ],
    ["a port and an OS", "Which process listens on port 8080 on Linux?", "8080* | linux"],
    ["a version", "What changed in tidewater 3.0.0?", "3·0·0*"],
    [
      "a config key and a camel-case name",
      "Default of `default_pool_size` in PgBouncer?",
      "default·pool·size* | pgbouncer^",
    ],
    ["acronyms", "Activer XMP dans le BIOS d'une carte MSI ?", "xmp^ | bios^ | msi^"],
    ["a hyphenated model", "소니 WF-1000XM5 배터리 사용 시간은?", "wf^ 1000·xm·5*"],
    ["a year inside CJK text", "2025年春运从哪天开始？", "2025*"],
    ["a quantity glued to CJK text is no name", "肉じゃが4人分って醤油どれくらい？", ""],
    ["accents folded", "Qual é o horário da Torre de Belém?", "torre | belem"],
    ["the first word starts the sentence", "Galatasaray won the cup?", ""],
    ["German capitalises every noun", "Welche Zutaten brauche ich für Käsespätzle?", ""],
    ["a stopword is no name (English I)", "How do I undo a commit?", ""],
    ["a two-digit number alone is none", "Rezept für 4 Personen mit 12 Eiern", ""],
    ["a short version after a word", "what changed in quillpad 3.2? and sync?", "3·2*"],
    ["a measure is no version", "is 1.5 bar of pressure enough?", ""],
    ["a longer word after a version", "Kódkert 3.2 újdonságai?", "3·2*"],
    ["a sign after a measure", "is 1.5 °C warmer a lot?", ""],
    [
      "after an abbreviation, not a new sentence",
      "Kiedy zamkną wiadukt na ul. Lipowej?",
      "lipowej",
    ],
  ];
  for (const [name, question, expected] of rows) {
    await t.step(`questionEntities(): ${name}`, () => assert.equal(shown(question), expected));
  }
});

Deno.test("fold() and pieces() split letters from digits, drop accents and caseless scripts", () => {
  assert.equal(fold("Belém Ñandú"), "belem nandu");
  assert.deepEqual(pieces("WM9414 EcoSteam"), ["wm", "9414", "ecosteam"]);
  assert.deepEqual(pieces("ECAM22.110.B"), ["ecam", "22", "110", "b"]);
  assert.deepEqual(pieces("13インチ（M3）"), ["13", "m", "3"]);
  assert.deepEqual(pieces("default_pool_size"), ["default", "pool", "size"]);
});

Deno.test("inflects() tells forms of one word by a shared start and short endings", async (t) => {
  const rows: [string, string, boolean][] = [
    ["brzegach", "brzegi", true],
    ["lipowej", "lipowa", true],
    ["panda", "panda", true],
    ["roborock", "robot", false], // the ending "rock" is too long
    ["panda", "panna", false], // a start of three letters is too short
    ["linux", "lindows", false],
  ];
  for (const [a, b, expected] of rows) {
    await t.step(`inflects("${a}", "${b}") = ${expected}`, () => {
      assert.equal(inflects(a, b), expected);
    });
  }
});

Deno.test("names() finds a name in the text or the address", async (t) => {
  const one = (question: string) => questionEntities(question)[0][0];
  const rows: [string, string, string, string, boolean][] = [
    ["pieces glued or apart", "Specs of model 9414?", "Veltra WM9414 EcoSteam", "", true],
    ["a version's trailing zero", "News in tidewater 3.0.0?", "tidewater 3.0: faster", "", true],
    ["not another version", "News in tidewater 3.0.0?", "tidewater 2.9 released", "", false],
    ["an inflected place name", "Wiadukt w Brzegach?", "Nowe Brzegi, ul. Lipowa", "", true],
    [
      "an unaccented address",
      "Horário da Torre de Belém?",
      "Horário",
      "https://x.example/torre-de-belem",
      true,
    ],
    [
      "glued into the address",
      "Wiadukt w Brzegach?",
      "Komunikat",
      "https://nowebrzegi.example/a",
      true,
    ],
    ["not part of a longer word", "Price of the Q7?", "The Q75 and the XQ7", "", false],
    ["an acronym spelled out", "Renting in LA?", "Cities such as Los Angeles add rules.", "", true],
    ["not initials across a full stop", "Renting in LA?", "In Los. Angeles", "", false],
    ["not lower-case initials", "Renting in LA?", "a lot of land around", "", false],
  ];
  for (const [name, question, text, address, expected] of rows) {
    await t.step(`names(): ${name}`, () => {
      assert.equal(names(pageIndex(text, address), one(question)), expected);
    });
  }
});

Deno.test("namesGroup() takes a part of a group unless another name fills the gap", async (t) => {
  const group = (question: string) => questionEntities(question)[0];
  const rows: [string, string, string, boolean][] = [
    ["all of it", "Battery of the Sony WF-1000XM5?", "Sony WF-1000XM5 review", true],
    [
      "another model in the missing part's place",
      "Battery of the WF-1000XM5?",
      "Sony WH-1000XM5 headphones",
      false,
    ],
    [
      "a generic mention of the rest",
      "How fast is the RK3588 NPU?",
      "Qwen3 runs fast on the NPU.",
      true,
    ],
    [
      "the brand with another model",
      "Price of the Roborock Q7 Max?",
      "The Roborock Q5 Pro is cheap.",
      false,
    ],
    [
      "a word of a group without identifiers",
      "Oil for the Fiat Panda?",
      "Oil change on a Panda 1.2",
      true,
    ],
    [
      "only a word where an identifier is missing",
      "Specs of the Veltra WM 9414?",
      "All Veltra offers",
      false,
    ],
    ["nothing of it", "Price of the Roborock Q7?", "Cecotec Conga robot", false],
  ];
  for (const [name, question, text, expected] of rows) {
    await t.step(`namesGroup(): ${name}`, () => {
      assert.equal(namesGroup(pageIndex(text, ""), group(question)), expected);
    });
  }
});

Deno.test("addressRival() tells an address about another model or year", async (t) => {
  const rows: [string, string, boolean][] = [
    ["Battery of the Samsung Galaxy A55?", "https://x.id/spesifikasi/samsung-galaxy-a35-5g", true],
    ["Battery of the Samsung Galaxy A55?", "https://x.id/review-samsung-galaxy-a55-vs-a35", false],
    ["Thresholds in 2024?", "https://x.pl/politechnika-warszawska/progi-2023", true],
    // A date in the path says when the page was written.
    ["Thresholds in 2024?", "https://x.pl/2023/11/20/progi-rekrutacja", false],
    ["Thresholds in 2024?", "https://x.pl/news/2023-11-20-progi", false],
    // Another of the question's own identifiers is no rival (Ubuntu 22.04, port 2222).
    ["Ubuntu 22.04: move ssh from 22 to 2222?", "https://x.ru/ubuntu/ssh-port-ubuntu-2204", false],
    ["Battery of the Samsung Galaxy A55?", "", false],
  ];
  for (const [question, address, expected] of rows) {
    await t.step(`addressRival(${address}) = ${expected}`, () => {
      assert.equal(addressRival(address, questionEntities(question)), expected);
    });
  }
});

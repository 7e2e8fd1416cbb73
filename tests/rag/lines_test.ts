/**
 * Tests for src/rag/lines.ts: one row per feature that makes a line structure, prose or junk, and
 * the navigation patterns of reference A.10.3.
 */
import assert from "node:assert/strict";
import {
  classifyLine,
  isCommand,
  type LineClass,
  lineClass,
  type LineKind,
  navigationPattern,
} from "../../src/rag/lines.ts";
import type { Language } from "../../src/rag/text.ts";

Deno.test("classifyLine() tells structure, prose and junk by features", async (t) => {
  const rows: [string, Language, LineKind][] = [
    // structure
    ["Peso: 11,7 kg", "it", "field"],
    ["电池容量：233mAh", "zh", "field"],
    ["Վայր՝ Կարեն Դեմիրճյանի անվան համալիր", "hy", "field"], // an Armenian label colon
    ["Խումբը կներկայացնի իր նոր՝ «Լուսաբաց» ալբոմը։", "hy", "prose"], // ՝ mid-sentence
    ["- 250 g de farine", "fr", "item"],
    ["| Battery | 50 Wh |", "en", "item"],
    ["sudo apt update", "en", "code"],
    ["lucia_ge · 3 feb 2024", "it", "junk"], // a handle's byline is no code
    ["git reset --soft HEAD~1", "en", "code"],
    ["chmod 600 geheim.txt", "de", "code"],
    [".venv\\Scripts\\activate", "pt", "code"],
    ['ENV MY_NAME="John Doe"', "en", "code"], // an upper-case keyword and an assignment
    ["ENV MY_DOG=Rex\\ The\\ Dog", "en", "code"],
    // prose
    ["Der Rhein ist ein etwa 1230 Kilometer langer Strom in Mitteleuropa.", "de", "prose"],
    ["インフルエンザの潜伏期間は通常1〜3日です。", "ja", "prose"],
    ["Ingredientes (4 personas):", "es", "prose"],
    ["Tickets to the summit cost 36.10 euros for adults when bought online.", "en", "prose"],
    // junk
    ["Alle akzeptieren", "de", "junk"], // short fragment, no sentence shape
    ["Vind ik leuk (12)", "nl", "junk"], // a label with a count in brackets
    ["Комментарии (14)", "ru", "junk"],
    ["USB PD (Power Delivery) charging is supported at up to 65 W (20 V).", "en", "prose"],
    ["Accedi | Registrati | Carrello (0)", "it", "junk"], // separator run
    ["首页 > 数码 > 智能穿戴", "zh", "junk"], // breadcrumb
    ["4.9 from 2,318 votes", "en", "junk"], // counter: digits, no stopwords
    ["Batidora de vaso Turbo 1500 W – 39,99 € ¡Oferta!", "es", "junk"], // price ad
    ["© 2026 PyGuia. Conteúdo licenciado sob CC BY-SA 4.0.", "pt", "junk"], // copyright mark
    ["Click to expand...", "en", "junk"], // an ellipsis is not a sentence end
    ["Man Arrested After Oxford Street Incident In Central London Today", "en", "junk"],
    ["edited Mar 2, 2024 at 11:19", "en", "junk"], // not code: a capitalised month
    ["Was this page helpful? Yes No", "en", "junk"], // a poll widget
    ["Cette page vous a-t-elle été utile ? Oui Non", "fr", "junk"],
    ["War dieser Artikel hilfreich? Ja Nein Vielleicht", "de", "junk"],
    ["Is it safe? Yes, for most adults it is.", "en", "prose"], // an answer, not buttons
    // navigation patterns (a), (b), (c), (d)
    ["HomeNewsSportWeather", "en", "junk"],
    ["The Quick Brown Fox Jumps Over Lazy Dogs", "en", "junk"],
    ["Mirror https://a.example.com/x and https://b.example.com/y for the files.", "en", "junk"],
    ["Source: https://example.com/page", "en", "junk"],
  ];
  for (const [line, lang, kind] of rows) {
    await t.step(`classifyLine() → ${kind} for "${line}"`, () => {
      assert.equal(classifyLine(line, lang), kind);
    });
  }
});

Deno.test("navigationPattern() tells which pattern a line matches", async (t) => {
  const rows: [string, string, "a" | "b" | "c" | "d" | null][] = [
    ["two lower-upper joints, no punctuation", "HomeNews SportWeather", "a"],
    ["one joint is not enough", "iPhone accessories and cases for sale", null],
    ["joints with punctuation are prose", "The iPhone runs iOS.", null],
    ["4 words, all capitalised", "Home News Sport Weather", "b"],
    [
      "13 of 20 capitalised (65 %) is not more than 65 %",
      "Aa Bb Cc Dd Ee Ff Gg Hh Ii Jj Kk Ll Mm nn oo pp qq rr ss tt",
      null,
    ],
    [
      "14 of 20 capitalised (70 %)",
      "Aa Bb Cc Dd Ee Ff Gg Hh Ii Jj Kk Ll Mm Nn oo pp qq rr ss tt",
      "b",
    ],
    ["3 capitalised words are too few", "Home News Sport", null],
    ["capitalised words with punctuation", "Orange Pi Five Plus Board.", null],
    ["two links", "https://a.com https://b.com", "c"],
    ["one link in a short line", "Source: https://example.com/page", "d"],
    // The reference checked the whole line, so the URL's own dot kept this line.
    ["one link whose only dots are inside the URL", "https://example.com/a.html", "d"],
    ["one link in a sentence", "See https://example.com/page for the manual.", null],
    [
      "one link in a line of 80+ characters",
      "Documentation for the board and its NPU can be found at https://example.com/docs/npu",
      null,
    ],
    ["a plain sentence", "The NPU has three cores.", null],
  ];
  for (const [name, line, expected] of rows) {
    await t.step(`navigationPattern() → ${expected} for ${name}`, () => {
      assert.equal(navigationPattern(line), expected);
    });
  }
});

Deno.test("lineClass() tells soft lines (junk by shape alone) from hard junk", async (t) => {
  const rows: [string, Language, LineClass][] = [
    ["Zutaten für 4 Portionen", "de", "soft"], // short, no sentence end: a heading
    ["1 TL Salz", "de", "soft"], // a list line that lost its bullet
    ["Tryb ciemny działa teraz także na ekranie mapy", "pl", "soft"],
    ["Add to cart", "en", "soft"],
    ["Počet obyvatel: 1 124 (2024)", "cs", "field"], // a field's value, not a counter
    [
      "You can turn it off under Settings > Power > Battery Care, and it charges to 100% again.",
      "en",
      "prose",
    ], // a menu path in an instruction
    ["Home > Phones > Settings > Battery", "en", "junk"], // a breadcrumb
    [
      "All zone names come from timedatectl list-timezones; add | grep Europe to shorten the list.",
      "en",
      "prose",
    ], // a pipe in a sentence is no meta row
    ["Similar questions: can I fly > 6 months > passport?", "en", "junk"], // a question is no instruction
    [
      "Goals: Emre Koçak (23), Diego Santos (78) – Karadeniz FK; Burak Yeşil (56, pen.) – Başkent",
      "en",
      "prose",
    ], // a label opens a long list of names
    ["टिकट वापस नहीं होंगे।", "hi", "prose"], // a danda ends a sentence
    ["Տոմսերը վերադարձման ենթակա չեն։", "hy", "prose"], // so does an Armenian full stop
    ["4.9 from 2,318 votes", "en", "soft"], // mostly digits
    ["Vulgewicht\t9 kg", "nl", "field"], // a table extracted with a tab
    ["CasaTech Store\t264,90 €\t9,90 €", "it", "item"], // three cells: a row
    ["Home | News | Contact", "en", "junk"], // separators
    ["By Ana Ruiz · 3 May 2024 · 5 min read", "en", "junk"], // a byline, whatever its stopwords
    ["Publié le 14/02/2025 – Mis à jour le 03/03/2025", "fr", "junk"], // dated, split by a dash
    ["Vérifié le 01 janvier 2025 - Direction de l'information légale", "fr", "junk"], // a day
    ["Lamine Yamal – Eurocopa 2024", "es", "soft"], // a year alone: a title, not a byline
    ["Galatasaray 0 – 0 Arsenal (uzatmalar sonrası)", "tr", "prose"], // a dash, no date
    ["배터리(NC ON): 본체 8시간 / 케이스 포함 24시간", "ko", "field"], // one slash is a value
    ["Home / Salute / Vitamine", "it", "junk"], // slashes: a breadcrumb
    ["Bosch Akku GBA 12V 3.0Ah – 49,99 €", "de", "junk"], // a price ad, mostly digits
    ["Comments (14)", "en", "junk"], // a count in brackets
    ["Een 48-uurskaart kost € 15,00.", "nl", "prose"], // a price in a sentence is a fact
    ["129,99 € inkl. MwSt.", "de", "junk"], // a price without sentence words
    ["Otel rezervasyonu ₺1.299'dan başlayan fiyatlarla!", "tr", "junk"], // any currency sign
    ["Kimura RC-10D 1.0 ลิตร ฿990", "th", "junk"],
    ["Jetzt zugreifen: Akku-Set für nur 49,99 € statt 79,99 €!", "de", "junk"], // exclaimed
    ["서울 지하철 기본요금이 6월 28일부터 1,400원에서 1,550원으로 오른다.", "ko", "prose"], // numbers, a sentence
    ["Droits d'inscription universitaires en sus : 178 €", "fr", "field"], // a long label, a short value
    ["Poêle à crêpes 28 cm : 24,99 € chez notre partenaire", "fr", "junk"], // … an ad's is long
    ["ssh -p 2222 user@IP_сервера", "ru", "code"], // another script only in an argument
    ["df['age'] = df['age'].fillna(0)", "zh", "code"], // indexing
    ["^ Il Monte Bianco «si abbassa», in la Repubblica, 6 ottobre 2023.", "it", "junk"], // a reference
    ["↑ «دماوند». سازمان نقشه‌برداری کشور.", "fa", "junk"],
    ["Sie sind hier: Startseite › Studium › Modulhandbuch", "de", "junk"], // a breadcrumb
    ["トップ ＞ 肉料理 ＞ 牛肉 ＞ 肉じゃが", "ja", "junk"],
    ["Board index ‹ Hardware and peripherals ‹ Troubleshooting", "en", "junk"],
    ["Nhập mã TGDD500 giảm thêm 500.000₫ khi thanh toán qua VNPAY", "vi", "junk"], // code + amount
    ['Uđite u meni „Podešavanja" → „Servis" → „Resetuj" i potvrdite sa OK.', "sr", "prose"],
    ["jwalsh88", "en", "junk"], // a user name
    ["TCorolla_Dave", "en", "junk"],
    ["max_connections", "en", "code"], // a setting's name, not a user's
    ["Save 15% on genuine parts with code TOY15 at checkout", "en", "junk"], // % and a promo code
    ["Meld deg på nyhetsbrevet og få 10 % rabatt på første kjøp!", "no", "junk"], // % and "!"
    ["Die Miete steigt 2025 um 3 % auf 812 Euro.", "de", "prose"], // a percentage in a fact
    ["sysadm_kolya писал(а):", "ru", "prose"], // that script before a colon: it introduces
    ["[3.0.0] - 2024-04-18", "en", "soft"], // a release heading, not a dated byline
    ["Wersja 4.7.0 - 12.03.2024", "pl", "soft"],
  ];
  for (const [line, lang, expected] of rows) {
    await t.step(`lineClass() → ${expected} for "${line}"`, () => {
      assert.equal(lineClass(line, lang), expected);
    });
  }
});

Deno.test("isCommand() tells a command or a setting from a name", async (t) => {
  const rows: [string, boolean][] = [
    ["sudo ufw allow 2222/tcp", true],
    ["server.port=8081", true], // one token that assigns: a setting
    ["alex_m", false], // a user name
    ["gitguide.dev", false], // a site
    ["more hot questions", false], // no code symbol
  ];
  for (const [line, expected] of rows) {
    await t.step(
      `isCommand("${line}") = ${expected}`,
      () => assert.equal(isCommand(line), expected),
    );
  }
});

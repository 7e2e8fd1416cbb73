/** Tests for src/rag/lines.ts: one row per feature that makes a line structure, prose or junk. */
import assert from "node:assert/strict";
import { classifyLine, type LineKind } from "../../src/rag/lines.ts";
import type { Language } from "../../src/rag/text.ts";

Deno.test("classifyLine() tells structure, prose and junk by features", async (t) => {
  const rows: [string, Language, LineKind][] = [
    // structure
    ["Peso: 11,7 kg", "it", "field"],
    ["电池容量：233mAh", "zh", "field"],
    ["- 250 g de farine", "fr", "item"],
    ["| Battery | 50 Wh |", "en", "item"],
    ["sudo apt update", "en", "code"],
    ["git reset --soft HEAD~1", "en", "code"],
    ["chmod 600 geheim.txt", "de", "code"],
    [".venv\\Scripts\\activate", "pt", "code"],
    // prose
    ["Der Rhein ist ein etwa 1230 Kilometer langer Strom in Mitteleuropa.", "de", "prose"],
    ["インフルエンザの潜伏期間は通常1〜3日です。", "ja", "prose"],
    ["Ingredientes (4 personas):", "es", "prose"],
    ["Tickets to the summit cost 36.10 euros for adults when bought online.", "en", "prose"],
    // junk
    ["Alle akzeptieren", "de", "junk"], // short fragment, no sentence shape
    ["Accedi | Registrati | Carrello (0)", "it", "junk"], // separator run
    ["首页 > 数码 > 智能穿戴", "zh", "junk"], // breadcrumb
    ["4.9 from 2,318 votes", "en", "junk"], // counter: digits, no stopwords
    ["Batidora de vaso Turbo 1500 W – 39,99 € ¡Oferta!", "es", "junk"], // price ad
    ["© 2026 PyGuia. Conteúdo licenciado sob CC BY-SA 4.0.", "pt", "junk"], // copyright mark
    ["Click to expand...", "en", "junk"], // an ellipsis is not a sentence end
    ["Man Arrested After Oxford Street Incident In Central London Today", "en", "junk"],
    ["edited Mar 2, 2024 at 11:19", "en", "junk"], // not code: a capitalised month
  ];
  for (const [line, lang, kind] of rows) {
    await t.step(`classifyLine() → ${kind} for "${line}"`, () => {
      assert.equal(classifyLine(line, lang), kind);
    });
  }
});

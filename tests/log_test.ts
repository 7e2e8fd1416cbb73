/**
 * src/log.ts: the line format, and that nothing a client controls can put a control character,
 * a bidirectional override or a lone surrogate into a log line (a URL's `%1B[2J` would clear the
 * operator's terminal; a `\n` would forge a second line).
 */
import assert from "node:assert/strict";
import { createLogger, escapeControls, formatLine } from "../src/log.ts";

const T0 = new Date(0);

Deno.test("formatLine(): time, level, component, message, then key=value fields", () => {
  assert.equal(
    formatLine(T0, "info", "http", "request", {
      id: "abc",
      status: 200,
      ok: true,
      gone: undefined,
    }),
    "1970-01-01T00:00:00.000Z INFO  [http] request id=abc status=200 ok=true",
  );
  assert.equal(
    formatLine(T0, "warn", "m", "x", { path: "a b" }),
    '1970-01-01T00:00:00.000Z WARN  [m] x path="a b"',
  );
});

Deno.test("no raw control, bidi or surrogate character reaches a log line", async (t) => {
  const hostile: [string, string][] = [
    ["ESC (terminal escape)", "\x1b[2J\x1b[31m"],
    ["NUL", "a\x00b"],
    ["newline forging a line", "x\n2026-01-01T00:00:00.000Z ERROR [main] fake"],
    ["carriage return", "ok\rFAKE"],
    ["DEL and C1 controls", "\x7f\x85\x9b"],
    ["line separator", "a\u2028b"],
    ["right-to-left override", "\u202etxt.exe"],
    ["bidi isolate", "\u2066x\u2069"],
    ["lone surrogate", "a\ud800b"],
  ];
  const unsafe = /[\p{Cc}\p{Cs}\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;
  for (const [name, text] of hostile) {
    await t.step(name, () => {
      const line = formatLine(T0, "info", text, text, { [text]: text, path: `/v1/${text}` });
      assert.doesNotMatch(line, unsafe, JSON.stringify(line));
      assert.equal(line.split("\n").length, 1);
    });
  }
  await t.step("escapes are readable and printable text is untouched", () => {
    assert.equal(escapeControls("a\x1bb\u202ec"), "a\\u001bb\\u202ec");
    assert.equal(escapeControls("héllo ✓ 你好 👨‍👩‍👧"), "héllo ✓ 你好 👨‍👩‍👧");
  });
});

Deno.test("createLogger() filters by level and writes one line per event", () => {
  const lines: string[] = [];
  const log = createLogger("warn", (line) => lines.push(line));
  log.info("x", "hidden");
  log.warn("x", "shown\x1b[0m", { path: "%1B" });
  assert.equal(lines.length, 1);
  assert.ok(lines[0].endsWith(" WARN  [x] shown\\u001b[0m path=%1B"), lines[0]);
  assert.ok(log.enabled("error"));
  assert.ok(!log.enabled("info"));
});

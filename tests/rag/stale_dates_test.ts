/** Tests for src/rag/stale_dates.ts: which claims about "now" go, and what stays. */
import assert from "node:assert/strict";
import { removeStaleDates } from "../../src/rag/stale_dates.ts";

Deno.test("removeStaleDates() removes claims about now only when they carry a date", async (t) => {
  const rows: [string, string, string][] = [
    ["'The current date is' + month day year", "The current date is March 3, 2026.", ""],
    ["'Current time:' + clock time", "Current time: 10:12 UTC", ""],
    ["'Today's date is' + ISO date", "Today's date is 2024-01-05.", ""],
    ["'It is currently' + numeric date", "It is currently 3/3/2026 in Berlin.", ""],
    ["'Today is' + weekday", "Today is Monday. Prices rose 3%.", "Prices rose 3%."],
    [
      "'The current date and time is' + day month year",
      "Hello. The current date and time is 3rd of March 2026, 10:12. Bye now.",
      "Hello. Bye now.",
    ],
    [
      "an abbreviated month does not end the sentence",
      "Today is Mar. 3, 2026. The board ships.",
      "The board ships.",
    ],
    [
      "a claim without a date stays",
      "The current date is not known to the model.",
      "The current date is not known to the model.",
    ],
    [
      "'Today, …' news stays",
      "Today, Rockchip announced the RK3688 on March 3.",
      "Today, Rockchip announced the RK3688 on March 3.",
    ],
    [
      "a past date stays",
      "This page was last edited on 3 March 2026, at 10:12 (UTC).",
      "This page was last edited on 3 March 2026, at 10:12 (UTC).",
    ],
    [
      "'today is' without a date stays",
      "Today is a good day to buy.",
      "Today is a good day to buy.",
    ],
  ];
  for (const [name, input, expected] of rows) {
    await t.step(`removeStaleDates() for ${name}`, () => {
      assert.equal(removeStaleDates(input), expected);
    });
  }
  await t.step("removeStaleDates() removes a line left empty, keeps the others", () => {
    assert.equal(removeStaleDates("a\nCurrent date: 2026-03-03\n\nb"), "a\n\nb");
  });
});

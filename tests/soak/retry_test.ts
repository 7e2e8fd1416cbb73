import assert from "node:assert/strict";
import { retryDelayMs } from "./retry.ts";

Deno.test("soak retry: Retry-After is honoured up to 60 s, else capped exponential backoff", () => {
  const noJitter = () => 0;
  const fullJitter = () => 0.999999;
  const cases: [string | null, number, () => number, number][] = [
    ["1", 0, noJitter, 1000],
    ["2.5", 3, noJitter, 2500],
    ["60", 0, noJitter, 60_000],
    // Out of range or unusable: backoff from the retry count.
    ["61", 0, noJitter, 500],
    ["0", 1, noJitter, 1000],
    ["-3", 2, noJitter, 2000],
    ["soon", 3, noJitter, 4000],
    ["", 0, noJitter, 500],
    [null, 4, noJitter, 8000],
    [null, 10, noJitter, 8000],
    // Jitter takes at most a quarter off.
    [null, 0, fullJitter, 375],
    [null, 10, fullJitter, 6000],
  ];
  for (const [header, retries, random, expected] of cases) {
    const got = retryDelayMs(header, retries, random);
    assert.ok(
      Math.abs(got - expected) < 0.01,
      `Retry-After ${JSON.stringify(header)}, ${retries} retries: ${got} ms, want ${expected}`,
    );
  }
});

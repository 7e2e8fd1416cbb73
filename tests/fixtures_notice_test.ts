/**
 * The Open WebUI request fixtures live outside the repository (`../shared/fixtures/openwebui`,
 * or RKLLM_FIXTURES_DIR). Tests that replay them are ignored in a clone without them; this file
 * says so once, in words, instead of leaving only an "ignored" count in the summary.
 */
import { FIXTURES_DIR, HAS_FIXTURES } from "./support/fixtures.ts";

Deno.test("fixtures: the Open WebUI request fixtures are present (else their tests are skipped)", () => {
  if (HAS_FIXTURES) return;
  console.warn(
    `\nSKIPPED: the tests that replay Open WebUI requests need ${FIXTURES_DIR}, which this ` +
      "clone does not have (they show as 'ignored'). Put the fixtures there or point " +
      "RKLLM_FIXTURES_DIR at them to run those tests.\n",
  );
});

/**
 * The client request fixtures live outside this repository, in `shared/fixtures/` beside the
 * clone (as on the project's machines and in CI). Tests that replay them are skipped, with
 * `ignore: !HAS_FIXTURES`, when a clone has no `shared/` beside it.
 */
import { join } from "node:path";
import { ROOT } from "./mock.ts";

/** RKLLM_FIXTURES_DIR overrides the location (e.g. a non-existent path to test the skip path). */
export const FIXTURES_DIR = Deno.env.get("RKLLM_FIXTURES_DIR") ??
  join(ROOT, "..", "shared", "fixtures", "openwebui");

function exists(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

export const HAS_FIXTURES = exists(FIXTURES_DIR);

export interface FixtureRequest {
  model: string;
  stream?: boolean;
  messages: { role: string; content: unknown }[];
  [key: string]: unknown;
}

export function loadFixture(name: string): FixtureRequest {
  return JSON.parse(Deno.readTextFileSync(join(FIXTURES_DIR, name)));
}

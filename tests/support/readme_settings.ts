/**
 * `deno task docs`: rewrites the configuration table in README.md from the settings table in
 * src/config.ts (the README test fails when they differ).
 */
import { settingsMarkdown } from "../../src/config.ts";

export const README = new URL("../../README.md", import.meta.url);
export const TABLE = /(<!-- settings:begin -->\n)[\s\S]*?(\n<!-- settings:end -->)/;

if (import.meta.main) {
  const text = await Deno.readTextFile(README);
  if (!TABLE.test(text)) throw new Error("README.md has no settings markers");
  await Deno.writeTextFile(README, text.replace(TABLE, `$1${settingsMarkdown()}$2`));
}

/**
 * Where librkllmrt.so is looked for: the configured path (`--lib` / RKLLM_LIB_PATH), else next
 * to the executable, /usr/lib, /usr/local/lib, the home folder. A miss names every path tried
 * and the setting that overrides the search.
 */
import { dirname, join } from "node:path";
import { RkllmError } from "../errors.ts";

export const LIBRARY_NAME = "librkllmrt.so";

export function candidatePaths(opts: {
  configured: string;
  execPath: string;
  home: string | undefined;
}): string[] {
  if (opts.configured) return [opts.configured];
  const paths = [
    join(dirname(opts.execPath), LIBRARY_NAME),
    join("/usr/lib", LIBRARY_NAME),
    join("/usr/local/lib", LIBRARY_NAME),
  ];
  if (opts.home) paths.push(join(opts.home, LIBRARY_NAME));
  return paths;
}

export function findLibrary(
  candidates: readonly string[],
  exists: (path: string) => boolean,
): string {
  const found = candidates.find(exists);
  if (found) return found;
  throw new RkllmError(
    "find",
    null,
    `${LIBRARY_NAME} not found; tried: ${candidates.join(", ")}. ` +
      "Set --lib or RKLLM_LIB_PATH to its location (it ships with Rockchip's rknn-llm runtime).",
  );
}

export function fileExists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

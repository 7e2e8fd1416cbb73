/**
 * Watches streamed text for the end of the first JSON object: depth counted over `{`/`}` outside
 * strings, from the first `{`. A task's answer is complete there, so the run can stop instead of
 * generating what Open WebUI would throw away. Pure.
 */
export function jsonObjectEnd(): (text: string) => boolean {
  let depth = 0;
  let started = false;
  let inString = false;
  let escaped = false;
  let done = false;
  return (text: string): boolean => {
    for (const ch of text) {
      if (done) break;
      if (inString) {
        if (escaped) escaped = false;
        else if (ch === "\\") escaped = true;
        else if (ch === '"') inString = false;
      } else if (ch === "{") {
        started = true;
        depth++;
      } else if (!started) {
        continue;
      } else if (ch === '"') {
        inString = true;
      } else if (ch === "}") {
        depth--;
        if (depth === 0) done = true;
      }
    }
    return done;
  };
}

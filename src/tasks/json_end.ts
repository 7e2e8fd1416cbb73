/**
 * Watches streamed text for the end of the first JSON object: depth counted over `{`/`}` outside
 * strings, from the first `{`. A task's answer is complete there, so the run can stop instead of
 * generating what Open WebUI would throw away; a tool call's block is text once something follows
 * its object. Each call reads only the text it is given (streams grow by pieces: a watcher that
 * rescanned would cost the square of the length). Pure.
 *
 * Returns the watcher: for each piece, -1 while the object is open, else the offset in that piece
 * just after the closing `}` (0 for pieces after it).
 */
export function jsonObjectEnd(): (text: string) => number {
  let depth = 0;
  let started = false;
  let inString = false;
  let escaped = false;
  let done = false;
  return (text: string): number => {
    if (done) return 0;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
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
      } else if (ch === "}" && --depth === 0) {
        done = true;
        return i + 1;
      }
    }
    return -1;
  };
}

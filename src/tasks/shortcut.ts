/**
 * Instant replies to Open WebUI's background tasks, without the NPU: the exact JSON text Open
 * WebUI parses.
 *
 * - title: `{"title":"…"}` from the first real user message (see title.ts; an emoji only when the
 *   template asks for one);
 * - tags: `{"tags":["General"]}`: Open WebUI's own template names "General" as the tag for short
 *   or diverse chats, matching the tags its model-made answers carry; Open WebUI files a tag
 *   under a lower-cased id (spaces → `_`), so this and the reference's `general` are the same
 *   tag, shown capitalised;
 * - follow_ups: `{"follow_ups":[]}`: Open WebUI then shows no suggestions;
 * - queries: `{"queries":["…"]}` from the last user turn (see query.ts), `{"queries":[]}` when it
 *   asks nothing searchable (Open WebUI then searches nothing);
 * - autocomplete: `{"text":""}`: no suggestion.
 *
 * Pure: imports only src/tasks/* and the ChatMessage type; no Deno.* calls, no clock.
 */
import type { ChatMessage } from "../chat/messages.ts";
import { findTaskMessage, instructionText, type TaskKind } from "./detect.ts";
import { taskHistory } from "./history.ts";
import { buildSearchQuery } from "./query.ts";
import { DEFAULT_TITLE, makeTitle, wantsEmoji } from "./title.ts";

export const DEFAULT_TAG = "General";

/** Replies that need nothing from the request; the last resort of every path. */
export const STATIC_REPLIES: Readonly<Record<TaskKind, string>> = Object.freeze({
  title: JSON.stringify({ title: DEFAULT_TITLE }),
  tags: JSON.stringify({ tags: [DEFAULT_TAG] }),
  follow_ups: JSON.stringify({ follow_ups: [] }),
  queries: JSON.stringify({ queries: [] }),
  autocomplete: JSON.stringify({ text: "" }),
});

/** The instant reply to a `kind` task request. Never throws. */
export function shortcutReply(kind: TaskKind, messages: readonly ChatMessage[]): string {
  try {
    switch (kind) {
      case "title": {
        const template = findTaskMessage(messages)?.message.content ?? "";
        const emoji = wantsEmoji(instructionText(template));
        return JSON.stringify({ title: makeTitle(taskHistory(messages), emoji) });
      }
      case "queries": {
        const query = buildSearchQuery(taskHistory(messages));
        return JSON.stringify({ queries: query ? [query] : [] });
      }
      case "tags":
      case "follow_ups":
      case "autocomplete":
        return STATIC_REPLIES[kind];
    }
  } catch {
    // Fall through to the static reply: a task answer must never fail the request.
  }
  return STATIC_REPLIES[kind] ?? STATIC_REPLIES.autocomplete;
}

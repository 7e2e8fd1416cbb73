/**
 * Whether a request runs with the runtime's thinking mode. The model's capability decides
 * first; then, per request, `chat_template_kwargs.enable_thinking` / `reasoning_effort: "none"`
 * (already in ChatRequest.enableThinking), then Qwen's soft switches `/think` and `/no_think`
 * in the latest user message, which win because the user typed them last. The switch is removed
 * from every user message, so the runtime never sees it and the KV-cache comparison stays stable.
 * Pure.
 */
import type { ChatMessage } from "./types.ts";

const SWITCH = /(^|\s)\/(no_think|think)(?=\s|$)/g;

export interface ThinkingDecision {
  messages: ChatMessage[];
  enableThinking: boolean;
}

/** The last `/think` or `/no_think` in `text`, and the text without any switch. */
export function softSwitch(text: string): { text: string; enable?: boolean } {
  let enable: boolean | undefined;
  const stripped = text.replace(SWITCH, (_m, lead: string, word: string) => {
    enable = word === "think";
    return lead;
  });
  return enable === undefined
    ? { text }
    : { text: stripped.replace(/\s{2,}/g, " ").trim(), enable };
}

export function decideThinking(
  messages: readonly ChatMessage[],
  capable: boolean,
  requested: boolean | undefined,
): ThinkingDecision {
  let lastSwitch: boolean | undefined;
  const lastUser = messages.findLastIndex((m) => m.role === "user");
  const out = messages.map((m, i) => {
    if (m.role !== "user") return m;
    const s = softSwitch(m.content);
    if (i === lastUser) lastSwitch = s.enable;
    return s.enable === undefined ? m : { ...m, content: s.text };
  });
  const wanted = lastSwitch ?? requested ?? true;
  return { messages: out, enableThinking: capable && wanted };
}

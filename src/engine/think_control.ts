/**
 * Whether a request runs with the runtime's thinking mode. The model's capability decides
 * first; then, per request, `chat_template_kwargs.enable_thinking` / `reasoning_effort: "none"`
 * (already in ChatRequest.enableThinking), then Qwen's soft switches `/think` and `/no_think`
 * in the latest user message, which win because the user typed them last. The switch is removed
 * from every user message, so the runtime never sees it and the KV-cache comparison stays stable.
 * Agent callers (Home Assistant's conversation agent, tool-driving frameworks) want a quick
 * action, not minutes of reasoning: their system prompts turn thinking off.
 * Pure.
 */
import type { ChatMessage } from "../chat/messages.ts";

const SWITCH = /(^|\s)\/(no_think|think)(?=\s|$)/g;

const AGENT_SIGNATURES = [
  "smart home manager of home assistant",
  "available devices:",
  "execute_services function",
];
const TOOL_MARKERS = [
  /<tools>/i,
  /"type"\s*:\s*"function"/,
  /\btool_call\b/i,
  /\bfunction calling\b/i,
];
/** Agent frameworks send long system prompts; a short one mentioning tools is ordinary chat. */
const AGENT_PROMPT_MIN_CHARS = 3000;

/** A system prompt written for an agent rather than a person. */
export function isAgentPrompt(system: string): boolean {
  const lower = system.toLowerCase();
  if (AGENT_SIGNATURES.some((s) => lower.includes(s))) return true;
  return system.length > AGENT_PROMPT_MIN_CHARS && TOOL_MARKERS.some((re) => re.test(system));
}

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
  const agent = messages.some((m) => m.role === "system" && isAgentPrompt(m.content));
  const wanted = lastSwitch ?? requested ?? !agent;
  return { messages: out, enableThinking: capable && wanted };
}

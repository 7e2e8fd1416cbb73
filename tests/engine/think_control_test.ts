import assert from "node:assert/strict";
import { decideThinking, isAgentPrompt, softSwitch } from "../../src/engine/think_control.ts";
import type { ChatMessage } from "../../src/chat/messages.ts";

Deno.test("softSwitch() finds and removes Qwen's soft switches", async (t) => {
  const rows: [string, string, boolean | undefined][] = [
    ["plain question", "plain question", undefined],
    ["/no_think What is 2+2?", "What is 2+2?", false],
    ["What is 2+2? /no_think", "What is 2+2?", false],
    ["/think hard problem", "hard problem", true],
    ["/no_think then /think", "then", true],
    ["path /no_thinking/x stays", "path /no_thinking/x stays", undefined],
    ["a/no_think b", "a/no_think b", undefined],
  ];
  for (const [input, text, enable] of rows) {
    await t.step(JSON.stringify(input), () => {
      const s = softSwitch(input);
      assert.equal(s.text, text);
      assert.equal(s.enable, enable);
    });
  }
});

const msgs = (...contents: string[]): ChatMessage[] =>
  contents.map((content, i) => ({ role: i % 2 === 0 ? "user" : "assistant", content }));

Deno.test("decideThinking() combines capability, request and soft switches", async (t) => {
  const rows: [string, ChatMessage[], boolean, boolean | undefined, boolean][] = [
    ["capable model, nothing asked", msgs("hi"), true, undefined, true],
    ["incapable model never thinks", msgs("/think hi"), false, true, false],
    ["request turns it off", msgs("hi"), true, false, false],
    ["latest /no_think beats the request", msgs("hi /no_think"), true, true, false],
    ["latest /think beats the request", msgs("/think hi"), true, false, true],
    ["an earlier switch does not apply", msgs("/no_think a", "b", "c"), true, undefined, true],
  ];
  for (const [name, messages, capable, requested, expected] of rows) {
    await t.step(name, () => {
      assert.equal(decideThinking(messages, capable, requested).enableThinking, expected);
    });
  }
});

Deno.test("decideThinking() strips switches from every user message, not from others", () => {
  const out = decideThinking(
    [
      { role: "system", content: "/no_think system" },
      { role: "user", content: "/no_think a" },
      { role: "assistant", content: "b /think" },
      { role: "user", content: "c" },
    ],
    true,
    undefined,
  ).messages;
  assert.deepEqual(out.map((m) => m.content), ["/no_think system", "a", "b /think", "c"]);
});

Deno.test("isAgentPrompt() recognises Home Assistant and long tool-driving prompts", async (t) => {
  const rows: [string, string, boolean][] = [
    [
      "Home Assistant",
      "You are a voice assistant, the smart home manager of Home Assistant.",
      true,
    ],
    ["HA device list", "Answer questions.\nAvailable Devices:\n```csv\nentity_id,name\n```", true],
    ["HA services", "Use the execute_services function to control devices.", true],
    ["ordinary persona", "You are a pirate. Answer in pirate speak.", false],
    ["short prompt naming tools", 'Tools: {"type": "function"}', false],
    [
      "long agent prompt with tools",
      "x".repeat(3001) + '<tools>{"type": "function"}</tools>',
      true,
    ],
    ["long prompt without tools", "y".repeat(5000), false],
  ];
  for (const [name, system, expected] of rows) {
    await t.step(name, () => assert.equal(isAgentPrompt(system), expected));
  }
});

Deno.test("decideThinking() turns thinking off for agent prompts unless asked for", () => {
  const ha: ChatMessage[] = [
    { role: "system", content: "You are the smart home manager of Home Assistant." },
    { role: "user", content: "turn on the kitchen light" },
  ];
  assert.equal(decideThinking(ha, true, undefined).enableThinking, false);
  assert.equal(decideThinking(ha, true, true).enableThinking, true);
});

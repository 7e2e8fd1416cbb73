/**
 * The Open WebUI session the session benchmark plays (its steps are listed in SCRIPT_TEXT),
 * with the user's questions and the web-search results it uses.
 *
 * Data and one function over the client; no server knowledge.
 */
import type { OpenWebUi, WebChunk } from "./openwebui_client.ts";

export const SCRIPT_TEXT = `Session (Open WebUI's requests, in its order):
  Chat A (system prompt): 8 streamed turns; after each answer the follow-ups task (last 6
    messages); after the first also title (last 2) and tags (last 6). Turn 5 is a web search:
    the search-queries task (history ends with the new question), then the answer with 5
    retrieved chunks from 4 pages (~4.5 KB) in front of the question, the chat's history before it.
  Chat B (new chat, no system prompt): first turn + follow-ups, title, tags.
  Back to chat A: turn 9 + follow-ups; regenerate turn 9 (the same request) + follow-ups.
  Turn 10: the user stops it after 5 content chunks (the fetch is aborted; no tasks follow);
    turn 11 carries the partial answer in its history, + follow-ups.
  Chat C (new chat): turn 5's web question again: queries task, answer, follow-ups, title, tags.`;

const SYSTEM_A = "You are a patient technical assistant for a home-lab user. Prefer practical " +
  "steps, mention trade-offs briefly, and say so when you are not sure.";

const A: readonly string[] = [
  "I just got an Orange Pi 5 Plus with 16 GB of RAM. Which operating system image should I " +
  "flash if I want to run a local language model on its NPU?",
  "What is the difference between the NPU and the Mali GPU on this board? Which one should I " +
  "use for a chat model?",
  "Do I need a heatsink or a fan? It will sit in a closet and run all day.",
  "How do I convert a Hugging Face model to the .rkllm format? I have an x86 Linux laptop for " +
  "the conversion.",
  "How fast can the Orange Pi 5 Plus NPU run Qwen3 1.7B?",
  "That is slower than my laptop. Would a w4a16 quantization make it faster, and how much " +
  "quality would I lose?",
  "Can I serve the model to my family over the home network? Something that works with " +
  "Open WebUI would be ideal.",
  "What happens if two people send a question at the same time?",
  "Which context length should I pick when converting the model, given that we mostly ask " +
  "short questions?",
  "Write a systemd unit file that starts the server at boot and restarts it if it crashes.",
  "Sorry, I stopped that. Just show me the [Service] section, and explain Restart= in one " +
  "sentence.",
];

const B1 = "Give me a quick weeknight dinner idea with chickpeas, spinach and whatever is " +
  "usually in a pantry. I have about 30 minutes.";

/** What a web search for turn 5's question retrieves: chunks of 4 pages, page junk included. */
const WEB: readonly WebChunk[] = [
  {
    page: 1,
    text: "Skip to main content\nHome / Single-board computers / Orange Pi\n" +
      "Running LLMs on the RK3588 NPU: our measurements\nPublished 12 May 2026 by the lab team\n" +
      "We measured Qwen3 1.7B converted with rkllm-toolkit 1.2 at w8a8 on an Orange Pi 5 Plus " +
      "(16 GB). With all three NPU cores in use, decoding ran at 13.6 to 14.4 tokens per second " +
      "for answers of 100 to 300 tokens. Prompt processing (prefill) reached 280 to 340 tokens " +
      "per second for prompts over 500 tokens and about 100 tokens per second for very short " +
      "prompts, where fixed overhead dominates.\nThe board drew 7.8 W at the wall while " +
      "decoding, against 3.1 W idle.\nRead more: NPU driver 0.9.8 changelog",
  },
  {
    page: 1,
    text: "Compared with the CPU path (llama.cpp on the four Cortex-A76 cores, Q4_K_M), the NPU " +
      "decodes about 1.6 times faster and leaves the CPU free for other services. The first " +
      "answer after loading takes longer: loading the 2.3 GB model file from eMMC took 9 s, " +
      "from NVMe 3 s.\nTable 2: tokens per second by model size. Qwen3 0.6B: 31; Qwen3 1.7B: " +
      "14; Qwen3 4B: 6.2; Llama 3.2 3B: 8.1.\nShare: Facebook | X | LinkedIn | Email\n" +
      "Comments (14)",
  },
  {
    page: 2,
    text: "Accept all cookies | Manage preferences\nForum › Hardware › Rockchip NPU\n" +
      "Re: Qwen3 1.7B speed on Orange Pi 5 Plus?\nQuote from user npu_tinkerer: I get around " +
      "14 t/s generation with the w8a8 build from the model zoo, runtime 1.2.3. Make sure the " +
      "NPU frequency governor is set to performance, otherwise I saw 10-11 t/s. With the 4k " +
      "context build, a 2,000-token prompt takes roughly 7 seconds before the first token " +
      "appears.\nReply #4 · 38 likes\nLog in to reply · Powered by Discourse",
  },
  {
    page: 3,
    text: "Orange Pi 5 Plus - Wikipedia\nFrom Wikipedia, the free encyclopedia\nThe Orange Pi " +
      "5 Plus is a single-board computer by Shenzhen Xunlong Software, released in 2023. It " +
      "uses the Rockchip RK3588 system on a chip, with four Cortex-A76 and four Cortex-A55 " +
      "cores, a Mali-G610 GPU and a neural processing unit rated at 6 TOPS (INT8) split over " +
      "three cores. Memory options are 4, 8, 16 and 32 GB of LPDDR4X.\nThis page was last " +
      "edited on 3 March 2026.\nPrivacy policy · About Wikipedia · Disclaimers",
  },
  {
    page: 4,
    text: "rknn-llm/benchmark.md at main · airockchip/rknn-llm\nRKLLM performance on RK3588 " +
      "(runtime 1.2.x, w8a8, max_context 4096): Qwen3-1.7B prefill 312 tokens/s (input 128), " +
      "decode 14.9 tokens/s, memory 2.1 GB; Qwen2.5-3B prefill 151 tokens/s, decode 8.4 " +
      "tokens/s; TinyLlama-1.1B prefill 486 tokens/s, decode 24.1 tokens/s. Figures measured " +
      "with the NPU, CPU and DDR frequencies fixed at their maximum.\nFooter navigation: " +
      "Terms Privacy Security Status Docs Contact",
  },
];

/** The whole session. */
export async function playSession(ow: OpenWebUi): Promise<void> {
  const a = ow.newChat("A", SYSTEM_A);
  for (const [i, q] of A.slice(0, 8).entries()) {
    await ow.ask(a, q, i === 4 ? { web: WEB } : {});
  }
  await ow.ask(ow.newChat("B"), B1);
  await ow.ask(a, A[8]);
  await ow.regenerate(a);
  await ow.ask(a, A[9], { stopAfterChunks: 5 });
  await ow.ask(a, A[10]);
  await ow.ask(ow.newChat("C"), A[4], { web: WEB });
}

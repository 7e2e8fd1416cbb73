/**
 * `deno task test:openwebui`: the real Open WebUI (from PyPI, into build/venv-openwebui) against
 * the demo server, over both of its connections (OpenAI, prefixed `oai.`, and Ollama). Creates
 * the admin over HTTP, lists models, chats, runs the title and follow-up tasks, and sends a RAG
 * message with an uploaded document whose embeddings come from the demo server's
 * /v1/embeddings. One PASS/FAIL line per check; exit code 1 when any failed.
 */
import { join } from "node:path";
import {
  BUILD,
  Checks,
  completionText,
  ensureVenv,
  expect,
  freePort,
  metric,
  postJson,
  Service,
  snippet,
  startDemo,
  waitHttp,
} from "./harness.ts";

const OPEN_WEBUI = "open-webui==0.12.4";
const MODEL = "qwen3-1.7b";
const QUESTION = "What is the capital of France?";
const DOC_FACT = "The RK3588 board in the lab is named Falcon-7. Its NPU runs at 1 GHz.";

const startedAt = performance.now();
const checks = new Checks();
const services: Service[] = [];
let exitCode = 1;
try {
  exitCode = await main();
} catch (error) {
  console.log(`FAIL setup: ${error instanceof Error ? error.message : error}`);
} finally {
  for (const service of services.reverse()) await service.stop();
}
Deno.exit(exitCode);

async function main(): Promise<number> {
  const venv = await ensureVenv("venv-openwebui", [OPEN_WEBUI]);

  const mockLog = join(BUILD, "openwebui-mock-calls.jsonl");
  await Deno.remove(mockLog).catch(() => {});
  const demoPort = freePort();
  const demo = `http://127.0.0.1:${demoPort}`;
  services.push(await startDemo("openwebui-demo", demoPort, [], { RKLLM_MOCK_LOG: mockLog }));

  // A fresh data folder each run: the first signup becomes the admin.
  const dataDir = join(BUILD, "openwebui-data");
  await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  await Deno.mkdir(dataDir, { recursive: true });
  const webuiPort = freePort();
  const webui = `http://127.0.0.1:${webuiPort}`;
  const owui = new Service(
    "open-webui",
    join(BUILD, "openwebui.log"),
    join(venv, "bin", "open-webui"),
    ["serve", "--host", "127.0.0.1", "--port", String(webuiPort)],
    {
      DATA_DIR: dataDir,
      WEBUI_AUTH: "true",
      WEBUI_SECRET_KEY: "rkllm-api-test",
      ENABLE_SIGNUP: "true",
      ENABLE_OPENAI_API: "true",
      OPENAI_API_BASE_URL: `${demo}/v1`,
      OPENAI_API_KEY: "none",
      ENABLE_OLLAMA_API: "true",
      OLLAMA_BASE_URL: demo,
      // Nothing may be downloaded at start: no sentence-transformers model, no version check.
      OFFLINE_MODE: "true",
      HF_HUB_OFFLINE: "1",
      RAG_EMBEDDING_ENGINE: "openai",
      RAG_EMBEDDING_MODEL: "qwen3-embedding-0.6b",
      RAG_OPENAI_API_BASE_URL: `${demo}/v1`,
      RAG_OPENAI_API_KEY: "none",
      ENABLE_WEB_SEARCH: "false",
      ENABLE_VERSION_UPDATE_CHECK: "false",
      SCARF_NO_ANALYTICS: "true",
      DO_NOT_TRACK: "true",
      ANONYMIZED_TELEMETRY: "false",
    },
  );
  services.push(owui);
  const bootStarted = performance.now();
  await waitHttp(`${webui}/health`, owui, 300_000);
  console.log(`open-webui up in ${((performance.now() - bootStarted) / 1000).toFixed(0)}s`);

  let auth: Record<string, string> = {};
  await checks.run("signup creates the admin", async () => {
    const { status, json } = await postJson(`${webui}/api/v1/auths/signup`, {
      name: "Admin",
      email: "admin@example.com",
      password: "rkllm-api-Test-1",
    });
    expect(status === 200 && typeof json.token === "string", `${status} ${snippet(json)}`);
    expect(json.role === "admin", `role ${json.role}`);
    auth = { Authorization: `Bearer ${json.token}` };
  });

  // Both connections list the same ids; a prefix on the OpenAI one keeps both in the list.
  await checks.run("OpenAI connection gets the oai. prefix", async () => {
    const { status, json } = await postJson(`${webui}/openai/config/update`, {
      ENABLE_OPENAI_API: true,
      OPENAI_API_BASE_URLS: [`${demo}/v1`],
      OPENAI_API_KEYS: ["none"],
      OPENAI_API_CONFIGS: { "0": { enable: true, prefix_id: "oai" } },
    }, auth);
    expect(status === 200, `${status} ${snippet(json)}`);
  });

  await checks.run("models listed through both connections", async () => {
    const res = await fetch(`${webui}/api/models`, { headers: auth });
    const json = await res.json() as { data?: { id: string; owned_by?: string }[] };
    const ids = (json.data ?? []).map((m) => `${m.id}(${m.owned_by})`);
    for (const want of [`oai.${MODEL}(openai)`, `${MODEL}(ollama)`]) {
      expect(ids.includes(want), `${want} missing from ${ids.join(", ")}`);
    }
    expect(!ids.some((id) => id.includes("embedding")), `embedding model offered for chat`);
    return ids.join(", ");
  });

  const messages = [{ role: "user", content: QUESTION }];
  const direct = completionText(
    (await postJson(`${demo}/v1/chat/completions`, { model: MODEL, messages })).json,
  );
  for (const [label, model] of [["OpenAI", `oai.${MODEL}`], ["Ollama", MODEL]]) {
    await checks.run(`chat through the ${label} connection`, async () => {
      const { status, json } = await postJson(`${webui}/api/chat/completions`, {
        model,
        stream: false,
        messages,
      }, auth);
      expect(status === 200, `${status} ${snippet(json)}`);
      const text = completionText(json);
      expect(text === direct, `answer differs from the server's own: ${snippet(text, 120)}`);
      return `${text.split(/\s+/).length} words, same as asking the server directly`;
    });
  }

  const history = [...messages, { role: "assistant", content: direct }];
  await checks.run("title task", async () => {
    const { status, json } = await postJson(`${webui}/api/v1/tasks/title/completions`, {
      model: MODEL,
      messages: history,
      chat_id: "local",
    }, auth);
    expect(status === 200, `${status} ${snippet(json)}`);
    const title = JSON.parse(completionText(json)).title;
    expect(typeof title === "string" && title.length > 0, `no title in ${snippet(json)}`);
    return JSON.stringify(title);
  });

  await checks.run("follow-up task", async () => {
    const { status, json } = await postJson(`${webui}/api/v1/tasks/follow_up/completions`, {
      model: `oai.${MODEL}`,
      messages: history,
      chat_id: "local",
    }, auth);
    expect(status === 200, `${status} ${snippet(json)}`);
    const followUps = JSON.parse(completionText(json)).follow_ups;
    expect(Array.isArray(followUps), `no follow_ups array in ${snippet(json)}`);
    // The mock's words are no valid suggestion list, so the server answers the empty list.
    return `follow_ups array with ${followUps.length} items`;
  });

  let fileId = "";
  await checks.run("document upload is embedded by the server", async () => {
    const embedsBefore = await metric(demo, "rkllm_http_requests_total", [
      'route="/v1/embeddings"',
      'status="200"',
    ]);
    const form = new FormData();
    form.append("file", new File([DOC_FACT + "\n"], "lab.txt", { type: "text/plain" }));
    const res = await fetch(`${webui}/api/v1/files/?process=true`, {
      method: "POST",
      headers: auth,
      body: form,
    });
    const json = await res.json();
    expect(res.ok && typeof json.id === "string", `${res.status} ${snippet(json)}`);
    fileId = json.id;
    let state = "";
    for (let i = 0; i < 120 && state !== "completed" && state !== "failed"; i++) {
      await new Promise((r) => setTimeout(r, 500));
      const status = await fetch(`${webui}/api/v1/files/${fileId}/process/status`, {
        headers: auth,
      });
      state = (await status.json()).status;
    }
    expect(state === "completed", `processing ended as ${state}`);
    const embedsAfter = await metric(demo, "rkllm_http_requests_total", [
      'route="/v1/embeddings"',
      'status="200"',
    ]);
    expect(embedsAfter > embedsBefore, "the server's /v1/embeddings was not called");
    return `${embedsAfter - embedsBefore} embedding request(s)`;
  });

  await checks.run("RAG message carries the document to the model", async () => {
    expect(fileId !== "", "no uploaded file");
    const logBefore = (await Deno.readTextFile(mockLog)).length;
    const { status, json } = await postJson(`${webui}/api/chat/completions`, {
      model: `oai.${MODEL}`,
      stream: false,
      files: [{ type: "file", id: fileId }],
      messages: [{ role: "user", content: "What is the lab board called?" }],
    }, auth);
    expect(status === 200, `${status} ${snippet(json)}`);
    completionText(json);
    const sources = json.sources as { document?: string[] }[] | undefined;
    expect(
      sources?.some((s) => s.document?.some((d) => d.includes("Falcon-7"))),
      `no retrieved source in ${snippet(json)}`,
    );
    const runtimeCalls = (await Deno.readTextFile(mockLog)).slice(logBefore);
    expect(runtimeCalls.includes("Falcon-7"), "the document never reached the runtime's prompt");
    return "source retrieved and present in the prompt the runtime received";
  });

  return checks.summary("test:openwebui", startedAt);
}

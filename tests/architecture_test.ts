/**
 * The import rules of the code base, read from the source files' import lines: no cycles; only
 * src/rkllm touches pointers; the domain never imports the HTTP side; protocol adapters do not
 * import each other; the domain sees the runtime only through its plain interface.
 */
import assert from "node:assert/strict";
import { dirname, join, relative, resolve } from "node:path";
import { ROOT } from "./support/mock.ts";

const SRC = join(ROOT, "src");

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    const path = join(dir, e.name);
    if (e.isDirectory) out.push(...walk(path));
    else if (e.name.endsWith(".ts")) out.push(path);
  }
  return out;
}

const IMPORT = /^\s*(?:import|export)\s[^;]*?from\s+"([^"]+)"/gm;

/** Repository-relative path → the repository-relative paths it imports (relative specifiers). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of [...walk(SRC), join(ROOT, "main.ts")]) {
    const text = Deno.readTextFileSync(file);
    const deps: string[] = [];
    for (const m of text.matchAll(IMPORT)) {
      if (!m[1].startsWith(".")) continue;
      deps.push(relative(ROOT, resolve(dirname(file), m[1])));
    }
    graph.set(relative(ROOT, file), deps);
  }
  return graph;
}

const graph = importGraph();

function area(path: string): string {
  const parts = path.split("/");
  if (parts[0] !== "src") return parts[0];
  if (parts[1] === "http" && parts.length > 3) return `http/${parts[2]}`;
  return parts.length > 2 ? parts[1] : parts[1].replace(/\.ts$/, "");
}

function violations(rule: (from: string, to: string) => boolean): string[] {
  const out: string[] = [];
  for (const [from, deps] of graph) {
    for (const to of deps) if (rule(from, to)) out.push(`${from} → ${to}`);
  }
  return out;
}

Deno.test("architecture: the import graph has no cycles", () => {
  const edges = [...graph.values()].reduce((n, deps) => n + deps.length, 0);
  assert.ok(graph.size > 100 && edges > 200, `the graph was read (${graph.size}, ${edges})`);
  const state = new Map<string, "visiting" | "done">();
  const cycles: string[] = [];
  const visit = (node: string, stack: string[]): void => {
    if (state.get(node) === "done") return;
    if (state.get(node) === "visiting") {
      cycles.push([...stack.slice(stack.indexOf(node)), node].join(" → "));
      return;
    }
    state.set(node, "visiting");
    for (const dep of graph.get(node) ?? []) visit(dep, [...stack, node]);
    state.set(node, "done");
  };
  for (const node of graph.keys()) visit(node, []);
  assert.deepEqual(cycles, []);
});

Deno.test("architecture: only src/rkllm touches pointers and native libraries", () => {
  const unsafe = /Deno\.(dlopen|UnsafePointer|UnsafePointerView|UnsafeCallback|UnsafeFnPointer)\b/;
  const found = [...graph.keys()]
    .filter((f) => !f.startsWith("src/rkllm/"))
    .filter((f) => unsafe.test(Deno.readTextFileSync(join(ROOT, f))));
  assert.deepEqual(found, []);
});

const DOMAIN = new Set(["engine", "chat", "rag", "models", "tasks"]);
const HTTP_SIDE = new Set([
  "app",
  "http",
  "http/responses",
  "http/anthropic",
  "http/chat_bridge",
  "openai",
  "ollama",
  "cli",
]);

Deno.test("architecture: the domain never imports the HTTP side or the entry points", () => {
  assert.deepEqual(
    violations((from, to) =>
      DOMAIN.has(area(from)) && (HTTP_SIDE.has(area(to)) || to === "main.ts")
    ),
    [],
  );
});

Deno.test("architecture: rag, tasks and chat are leaves of the engine, not its clients", () => {
  assert.deepEqual(
    violations((from, to) =>
      ["rag", "tasks", "chat"].includes(area(from)) && area(to) === "engine"
    ),
    [],
  );
});

Deno.test("architecture: protocol adapters do not import each other", () => {
  const adapters = new Set(["openai", "ollama", "http/responses", "http/anthropic"]);
  assert.deepEqual(
    violations((from, to) =>
      adapters.has(area(from)) && adapters.has(area(to)) && area(from) !== area(to)
    ),
    [],
  );
});

Deno.test("architecture: the domain sees the runtime only through its plain interface", () => {
  assert.deepEqual(
    violations((from, to) =>
      (DOMAIN.has(area(from)) || HTTP_SIDE.has(area(from))) && area(from) !== "cli" &&
      to.startsWith("src/rkllm/") && to !== "src/rkllm/npu.ts"
    ),
    [],
  );
});

Deno.test("architecture: src/rkllm depends on nothing above it", () => {
  const allowed = new Set(["src/errors.ts"]);
  assert.deepEqual(
    violations((from, to) =>
      from.startsWith("src/rkllm/") && !to.startsWith("src/rkllm/") && !allowed.has(to)
    ),
    [],
  );
});

Deno.test("architecture: only src/config.ts reads the environment", () => {
  const found = [...graph.keys()]
    .filter((f) => f !== "src/config.ts")
    .filter((f) => /Deno\.env\b/.test(Deno.readTextFileSync(join(ROOT, f))));
  assert.deepEqual(found, []);
});

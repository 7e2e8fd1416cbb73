/**
 * `rkllm-api doctor`: gathers the facts (src/doctor/gather.ts, plus what opening the runtime
 * library tells), judges them (src/doctor/checks.ts) and prints one line per check; exit 1 when
 * any check fails. The only CLI module besides serve.ts that opens the runtime library.
 */
import type { ResolvedConfig } from "../config.ts";
import { type CheckResult, type DoctorFacts, formatReport, runChecks } from "../doctor/checks.ts";
import { calibrate, taskStrategy } from "../engine/calibrate.ts";
import { PromptFileStore } from "../engine/prompt_files.ts";
import { type ModelEntry, ModelRegistry } from "../models/registry.ts";
import { openRknnLibrary } from "../rkllm/rknn/ffi.ts";
import { gatherFacts } from "../doctor/gather.ts";
import { scanModels } from "../models/discovery.ts";
import { scanOptions } from "./models.ts";
import { candidatePaths, fileExists } from "../rkllm/library_path.ts";
import { identifyLibrary, type LibraryIdentity } from "../rkllm/library_version.ts";
import { RkllmBackend } from "../rkllm/runtime.ts";

/** Where the runtime library is looked for, in order. */
export function libraryCandidates(config: ResolvedConfig): string[] {
  return candidatePaths({
    configured: config.lib_path,
    execPath: Deno.execPath(),
    home: config.env.home,
  });
}

async function libraryFacts(config: ResolvedConfig): Promise<DoctorFacts["library"]> {
  const candidates = libraryCandidates(config);
  const found = candidates.find(fileExists) ?? null;
  const facts: DoctorFacts["library"] = {
    candidates,
    found,
    version: null,
    hash: null,
    abi: null,
    loadError: null,
  };
  if (!found) return facts;
  // Opening detects the ABI from the file's hash; hash it here only when that did not happen.
  let identity: LibraryIdentity | null = null;
  try {
    const backend = await RkllmBackend.open(found, config.abi);
    facts.abi = backend.description;
    identity = backend.identity;
    backend.close();
  } catch (err) {
    facts.loadError = (err as Error).message;
  }
  identity ??= await identifyLibrary(found);
  facts.hash = identity.hash;
  facts.version = identity.known?.version ?? null;
  return facts;
}

/** librknnrt.so, when a vision model or its path says it is needed. */
function visionRuntimeCheck(config: ResolvedConfig, visionModels: number): CheckResult | null {
  if (visionModels === 0 && !config.rknn_lib_path) return null;
  const name = "vision runtime";
  try {
    const lib = openRknnLibrary(config.rknn_lib_path || undefined);
    lib.close();
    return { name, status: "pass", detail: `${lib.path} opens (${visionModels} vision model(s))` };
  } catch (err) {
    return {
      name,
      status: "warn",
      detail: `${visionModels} vision model(s), but ${(err as Error).message}`,
      fix: "install Rockchip's librknnrt.so (rknn-toolkit2 runtime) or set rknn_lib_path",
    };
  }
}

/**
 * `--probe-cache <model>`: the server's calibration, run on its own: load the model, measure,
 * unload. The readings decide how background tasks keep the chat's cache.
 */
async function probeCache(
  config: ResolvedConfig,
  entry: ModelEntry | undefined,
  name: string,
  /** The runtime library the other checks found, if any. */
  found: string | null,
): Promise<CheckResult> {
  const check = "KV cache";
  if (!entry) {
    return { name: check, status: "fail", detail: `no model '${name}' in the models folder` };
  }
  if (!found) return { name: check, status: "fail", detail: "no runtime library to probe with" };
  const dir = await Deno.makeTempDir({ prefix: "rkllm-probe-" });
  const backend = await RkllmBackend.open(found, config.abi);
  try {
    const npu = await backend.load({
      modelPath: entry.path,
      contextLength: entry.contextLength,
      maxNewTokens: entry.maxNewTokens,
      sampling: entry.sampling,
      cpuMask: config.cpuMask,
      baseDomainId: config.base_domain_id,
      embedFlash: config.embed_flash,
    });
    try {
      const t = await calibrate(npu, await PromptFileStore.open(dir, 1 << 30));
      const readings = Object.entries(t).map(([k, v]) => `${k}=${v}`).join(" ");
      return {
        name: check,
        status: t.sizeKnown ? "pass" : "warn",
        detail: `${entry.id}: ${readings}; task strategy ${taskStrategy(t)}`,
        ...(t.sizeKnown ? {} : { fix: "the runtime does not report its cache size" }),
      };
    } finally {
      await npu.destroy();
    }
  } catch (err) {
    return { name: check, status: "fail", detail: `${entry.id}: ${(err as Error).message}` };
  } finally {
    backend.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

export async function doctor(
  config: ResolvedConfig,
  opts: { probeCache?: string } = {},
): Promise<number> {
  const scan = await scanModels(config.models_dir, scanOptions(config));
  const library = await libraryFacts(config);
  const facts = gatherFacts({
    root: config.env.rkllmRoot,
    host: config.host,
    port: config.port,
    modelsDir: config.models_dir,
    models: scan.models,
    library,
  });
  const results = runChecks(facts);
  const vision = visionRuntimeCheck(config, scan.models.filter((m) => m.vision).length);
  if (vision) results.push(vision);
  if (opts.probeCache !== undefined) {
    const registry = new ModelRegistry(scan.models);
    const entry = registry.resolve(opts.probeCache);
    results.push(await probeCache(config, entry, opts.probeCache, library.found));
  }
  console.log(formatReport(results));
  const failed = results.filter((r) => r.status === "fail").length;
  console.log(failed ? `\n${failed} check(s) failed.` : "\nAll checks passed.");
  return failed ? 1 : 0;
}

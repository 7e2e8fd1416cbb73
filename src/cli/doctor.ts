/**
 * `rkllm-api doctor`: gathers the facts (src/doctor/gather.ts, plus what opening the runtime
 * library tells), judges them (src/doctor/checks.ts) and prints one line per check; exit 1 when
 * any check fails. The only CLI module besides serve.ts that opens the runtime library.
 */
import type { ResolvedConfig } from "../config.ts";
import { type DoctorFacts, formatReport, runChecks } from "../doctor/checks.ts";
import { gatherFacts } from "../doctor/gather.ts";
import { scanModels } from "../models/discovery.ts";
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

export async function doctor(config: ResolvedConfig): Promise<number> {
  const scan = await scanModels(config.models_dir, {
    defaultContext: config.default_context,
    defaultMaxNewTokens: config.max_new_tokens,
  });
  const facts = gatherFacts({
    root: config.env.rkllmRoot,
    host: config.host,
    port: config.port,
    modelsDir: config.models_dir,
    models: scan.models,
    library: await libraryFacts(config),
  });
  const results = runChecks(facts);
  console.log(formatReport(results));
  const failed = results.filter((r) => r.status === "fail").length;
  console.log(failed ? `\n${failed} check(s) failed.` : "\nAll checks passed.");
  return failed ? 1 : 0;
}

/**
 * Which struct layout to use with a given librkllmrt.so: the `abi` setting when it names one,
 * else the library's git blob hash (official builds), else the `rkllm_createDefaultParam` probe
 * (documented defaults land at different offsets in the two layouts). Anything else is refused:
 * a wrong layout makes the runtime read garbage or jump into data.
 */
import { RkllmError } from "../errors.ts";
import type { RkllmLib } from "./ffi.ts";
import { identifyLibrary, type LibraryIdentity } from "./library_version.ts";
import {
  ABI_VERSIONS,
  type AbiVersion,
  RUNTIME_VERSIONS,
  supportedReleases,
  versionForRelease,
} from "./versions.ts";

export const ABI_SETTINGS: readonly ["auto", ...AbiVersion[]] = ["auto", ...ABI_VERSIONS];
export type AbiSetting = "auto" | AbiVersion;

export interface AbiChoice {
  abi: AbiVersion;
  /** How it was decided, for logs and `doctor`. */
  reason: string;
  /** The library's build, when it was looked at (not when the setting decided). */
  identity?: LibraryIdentity;
}

/** Runtime releases → the layout they use (1.2.1 to 1.2.3 share one). */
export function abiForRuntime(version: string): AbiVersion | null {
  return (versionForRelease(version)?.abi as AbiVersion | undefined) ?? null;
}

/**
 * Reads the documented defaults (enabled_cpus_num 4, n_batch 1) back from a default struct at
 * each layout's offsets; exactly one layout must match.
 */
export function abiFromDefaultParam(bytes: Uint8Array): AbiVersion | null {
  const matches = RUNTIME_VERSIONS.filter((v) =>
    bytes[v.probe.cpusNum] === 4 && bytes[v.probe.nBatch] === 1
  );
  return matches.length === 1 ? matches[0].abi : null;
}

export async function chooseAbi(
  lib: RkllmLib,
  setting: AbiSetting,
): Promise<AbiChoice> {
  if (setting !== "auto") return { abi: setting, reason: "abi setting" };
  const identity = await identifyLibrary(lib.path);
  if (identity.known) {
    const abi = abiForRuntime(identity.known.version);
    if (!abi) {
      throw new RkllmError(
        "abi",
        null,
        `${lib.path} is runtime ${identity.known.version}, which this server does not support ` +
          `(use runtime ${supportedReleases()})`,
      );
    }
    return { abi, reason: `runtime ${identity.known.version} (file hash)`, identity };
  }
  const probed = abiFromDefaultParam(lib.symbols.rkllm_createDefaultParam() as Uint8Array);
  if (!probed) {
    throw new RkllmError(
      "abi",
      null,
      `cannot tell which runtime ABI ${lib.path} has (unknown build, and its default parameters ` +
        `match none of ${ABI_VERSIONS.join(", ")}); set ${
          ABI_VERSIONS.map((v) => `--abi ${v}`).join(" or ")
        } if you are sure`,
    );
  }
  return {
    abi: probed,
    reason: `default-parameter probe (unknown build ${identity.hash.slice(0, 12)})`,
    identity,
  };
}

/**
 * Which struct layout to use with a given librkllmrt.so: the `abi` setting when it names one,
 * else the library's git blob hash (official builds), else the `rkllm_createDefaultParam` probe
 * (documented defaults land at different offsets in the two layouts). Anything else is refused:
 * a wrong layout makes the runtime read garbage or jump into data.
 */
import { RkllmError } from "../errors.ts";
import type { RkllmLib } from "./ffi.ts";
import { identifyLibrary, type LibraryIdentity } from "./library_version.ts";
import type { AbiVersion } from "./structs.ts";

export const ABI_SETTINGS = ["auto", "1.2.3", "1.3.0"] as const;
export type AbiSetting = typeof ABI_SETTINGS[number];

export interface AbiChoice {
  abi: AbiVersion;
  /** How it was decided, for logs and `doctor`. */
  reason: string;
  /** The library's build, when it was looked at (not when the setting decided). */
  identity?: LibraryIdentity;
}

/** Runtime releases → the layout they use (1.2.1 to 1.2.3 share one). */
export function abiForRuntime(version: string): AbiVersion | null {
  if (/^1\.2\.[123]$/.test(version)) return "1.2.3";
  if (version === "1.3.0") return "1.3.0";
  return null;
}

/**
 * Reads the documented defaults (enabled_cpus_num 4, n_batch 1) back from a default struct:
 * 1.2.3 has extend_param at 88 (bytes 93 and 100), 1.3.0 at 60 (bytes 65 and 72).
 */
export function abiFromDefaultParam(bytes: Uint8Array): AbiVersion | null {
  const v123 = bytes[93] === 4 && bytes[100] === 1;
  const v130 = bytes[65] === 4 && bytes[72] === 1;
  if (v123 === v130) return null;
  return v123 ? "1.2.3" : "1.3.0";
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
          "(use runtime 1.2.3 or 1.3.0)",
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
        "match neither 1.2.3 nor 1.3.0); set --abi 1.2.3 or --abi 1.3.0 if you are sure",
    );
  }
  return {
    abi: probed,
    reason: `default-parameter probe (unknown build ${identity.hash.slice(0, 12)})`,
    identity,
  };
}

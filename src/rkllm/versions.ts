/**
 * The one registry of runtime versions this server speaks: per ABI, the struct layouts, the
 * runtime releases and official builds that use it, where `rkllm_createDefaultParam`'s
 * documented defaults land (the probe for unknown builds), and what the runtime can do. The
 * `abi` setting, doctor, the ABI choice and the tests all derive from this list: adding a
 * runtime is one entry here (and the mock).
 * Imports only the layout tables.
 */
import { type AbiLayout, LAYOUT_1_2_3, LAYOUT_1_3_0 } from "./layouts.ts";

export interface RuntimeVersion {
  /** The layout's name, as the `abi` setting spells it. */
  readonly abi: string;
  /** Runtime releases that share this layout. */
  readonly releases: readonly string[];
  readonly layout: AbiLayout;
  /**
   * Byte offsets in a default `RKLLMParam` of `enabled_cpus_num` (documented default 4) and
   * `n_batch` (default 1): they differ per layout, so they tell an unknown build's ABI.
   */
  readonly probe: { readonly cpusNum: number; readonly nBatch: number };
  readonly capabilities: {
    /** Sampling and max_new_tokens in `RKLLMInferParam`, per run (else only at init). */
    readonly perRunSampling: boolean;
    /** `rkllm_init` takes an `RKLLMCallback` struct instead of a bare function pointer. */
    readonly callbackStruct: boolean;
    /** Where the image start/end/content strings go: `RKLLMParam` at init, or each input. */
    readonly imageStrings: "init" | "input";
  };
}

export const RUNTIME_VERSIONS = [
  {
    abi: "1.2.3",
    releases: ["1.2.1", "1.2.2", "1.2.3"],
    layout: LAYOUT_1_2_3,
    probe: { cpusNum: 93, nBatch: 100 },
    capabilities: { perRunSampling: false, callbackStruct: false, imageStrings: "init" },
  },
  {
    abi: "1.3.0",
    releases: ["1.3.0"],
    layout: LAYOUT_1_3_0,
    probe: { cpusNum: 65, nBatch: 72 },
    capabilities: { perRunSampling: true, callbackStruct: true, imageStrings: "input" },
  },
] as const satisfies readonly RuntimeVersion[];

export type AbiVersion = typeof RUNTIME_VERSIONS[number]["abi"];

export const ABI_VERSIONS: readonly AbiVersion[] = RUNTIME_VERSIONS.map((v) => v.abi);

export function runtimeVersion(abi: AbiVersion): RuntimeVersion {
  return RUNTIME_VERSIONS.find((v) => v.abi === abi)!;
}

/** The layout a runtime release uses, or null for a release this server does not speak. */
export function versionForRelease(release: string): RuntimeVersion | null {
  return RUNTIME_VERSIONS.find((v) => (v.releases as readonly string[]).includes(release)) ??
    null;
}

/** "1.2.1 to 1.2.3 or 1.3.0", for messages. */
export function supportedReleases(): string {
  return RUNTIME_VERSIONS.map((v) =>
    v.releases.length > 1 ? `${v.releases[0]} to ${v.releases.at(-1)}` : v.releases[0]
  ).join(" or ");
}

export interface KnownBuild {
  /** The runtime release. */
  version: string;
  arch: "aarch64" | "armhf";
}

/**
 * Official librkllmrt.so builds by git blob id (SHA-1 of "blob <size>\0" + bytes), as recorded
 * in Rockchip's rknn-llm repository history, older unsupported releases included so they are
 * named rather than probed.
 */
export const KNOWN_BUILDS: Readonly<Record<string, KnownBuild>> = {
  "3bb8cb6172c4c06e1c622c8f8c579888378784f4": { version: "1.1.4", arch: "aarch64" },
  "d45ee9b8dcb9ef27d7dd875ce3be3d5e6dfb654d": { version: "1.2.0", arch: "aarch64" },
  "db041c01bba5e0e8f624bb2ff50d48825dde1bfc": { version: "1.2.1b1", arch: "aarch64" },
  "6b9439d59f2fe4bb8ef5ee2b09c102f1bf993da9": { version: "1.2.1", arch: "aarch64" },
  "7025f35825e04ad75d839d10392e3c02cc88e57a": { version: "1.2.1", arch: "armhf" },
  "8ed9cca16f8d5ad8f7cdd7d393de6561182b3395": { version: "1.2.2", arch: "aarch64" },
  "d5953fdad6e60521f1dc696f6d638425c93ba08d": { version: "1.2.2", arch: "armhf" },
  "0084abc34ab43359cfa9fd5d4c92ece34127dbd0": { version: "1.2.3", arch: "aarch64" },
  "fe1ca6849603a770c54f82d26b826a120c79a01a": { version: "1.2.3", arch: "armhf" },
  "34167b32f99cb7ab19e21fb579fb750d96b878f1": { version: "1.3.0", arch: "aarch64" },
  "17c9063b46168c4e7d093d6fedb097874f92d076": { version: "1.3.0", arch: "armhf" },
};

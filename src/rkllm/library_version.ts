/**
 * Which official runtime build a librkllmrt.so is, from its git blob hash (SHA-1 of
 * "blob <size>\0" + bytes), as recorded in Rockchip's rknn-llm repository. Only the file's bytes
 * are read; nothing is loaded.
 */

export interface KnownRuntime {
  version: string;
  arch: "aarch64" | "armhf";
}

/** Blob ids of the released libraries (rknn-llm repository history). */
export const KNOWN_RUNTIMES: Readonly<Record<string, KnownRuntime>> = {
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

export async function gitBlobHash(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const header = new TextEncoder().encode(`blob ${bytes.length}\0`);
  const data = new Uint8Array(header.length + bytes.length);
  data.set(header);
  data.set(bytes, header.length);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-1", data));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

export interface LibraryIdentity {
  hash: string;
  known: KnownRuntime | null;
}

export async function identifyLibrary(path: string): Promise<LibraryIdentity> {
  const hash = await gitBlobHash(await Deno.readFile(path));
  return { hash, known: KNOWN_RUNTIMES[hash] ?? null };
}

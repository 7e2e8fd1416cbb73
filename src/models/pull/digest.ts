/**
 * The hash a downloaded file must have: the LFS sha256 the Hub lists for weights, else the git
 * blob id (sha1 over `blob <size>\0` + content) it lists for small files like model_config.json.
 * Hashing is incremental so a file is hashed while it is written.
 */
import { createHash, type Hash } from "node:crypto";
import type { HubFile } from "./hub_client.ts";

export interface ExpectedDigest {
  algorithm: "sha256" | "git-sha1";
  hex: string;
}

export function expectedDigest(file: HubFile): ExpectedDigest {
  return file.sha256 !== undefined
    ? { algorithm: "sha256", hex: file.sha256 }
    : { algorithm: "git-sha1", hex: file.gitOid.toLowerCase() };
}

/** Ollama-style digest (`sha256:<hex>`) for LFS files; git blobs have none. */
export function ollamaDigest(file: HubFile): string | undefined {
  return file.sha256 === undefined ? undefined : `sha256:${file.sha256}`;
}

export class StreamingHash {
  #hash: Hash;
  constructor(readonly expected: ExpectedDigest, size: number) {
    this.#hash = createHash(expected.algorithm === "sha256" ? "sha256" : "sha1");
    if (expected.algorithm === "git-sha1") this.#hash.update(`blob ${size}\0`);
  }

  update(chunk: Uint8Array): void {
    this.#hash.update(chunk);
  }

  /** Hash an existing file's bytes (a partial being resumed, a complete file being checked). */
  async updateFromFile(path: string): Promise<void> {
    // The readable closes the file when it ends or fails.
    const file = await Deno.open(path, { read: true });
    for await (const chunk of file.readable) this.update(chunk);
  }

  hex(): string {
    return this.#hash.digest("hex");
  }
}

/**
 * Which official runtime build a librkllmrt.so is, from its git blob hash (SHA-1 of
 * "blob <size>\0" + bytes), as recorded in Rockchip's rknn-llm repository. Only the file's bytes
 * are read; nothing is loaded. The builds themselves are listed in versions.ts.
 */
import { KNOWN_BUILDS, type KnownBuild } from "./versions.ts";

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
  known: KnownBuild | null;
}

export async function identifyLibrary(path: string): Promise<LibraryIdentity> {
  const hash = await gitBlobHash(await Deno.readFile(path));
  return { hash, known: KNOWN_BUILDS[hash] ?? null };
}

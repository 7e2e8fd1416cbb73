/**
 * A small client for the two Hugging Face Hub calls a pull needs: the recursive file listing of
 * a revision (`/api/models/{repo}/tree/{revision}?recursive=true`, paged by `Link: rel="next"`),
 * and a file's bytes (`/{repo}/resolve/{revision}/{path}`, redirected to a CDN for LFS files,
 * with HTTP Range). The endpoint (HF_ENDPOINT, for mirrors) and token (HF_TOKEN) are given by the
 * caller; this module reads no environment. Hub failures become the typed errors of errors.ts.
 *
 * Why not `@huggingface/hub`: its download helpers write into the huggingface cache layout, not
 * into our models folder, and give no hook for resuming a partial file while hashing it; the
 * listing is one GET. Owning the ~150 lines keeps the dependency tree and the compiled binary
 * small.
 */
import { z } from "zod";
import {
  HubForbiddenError,
  HubNotFoundError,
  HubUnauthorizedError,
  HubUnavailableError,
} from "./errors.ts";

export const DEFAULT_HUB_ENDPOINT = "https://huggingface.co";

/** A file of a repo revision. */
export interface HubFile {
  path: string;
  size: number;
  /** Git blob id (sha1 of `blob <size>\0<content>`), what the Hub shows for non-LFS files. */
  gitOid: string;
  /** The LFS object's sha256, hex; present for files stored in LFS (all model weights). */
  sha256?: string;
}

export interface HubClientOptions {
  /** HF_ENDPOINT; default https://huggingface.co. */
  endpoint?: string;
  /** HF_TOKEN; sent as `Authorization: Bearer`. */
  token?: string;
  /** For tests and proxies. */
  fetch?: typeof fetch;
  userAgent?: string;
}

export interface OpenFileOptions {
  /** Ask for the bytes from here on (`Range: bytes=<offset>-`); 0 = the whole file. */
  offset?: number;
  signal?: AbortSignal;
}

const TreeEntry = z.object({
  type: z.string(),
  path: z.string(),
  size: z.number().int().nonnegative(),
  oid: z.string(),
  lfs: z.object({ oid: z.string(), size: z.number().int().nonnegative() }).optional(),
});
const TreePage = z.array(TreeEntry);

/** How many listing pages we follow; a model repo needs one or two. */
const MAX_TREE_PAGES = 50;

export class HubClient {
  readonly endpoint: string;
  readonly #token: string | undefined;
  readonly #fetch: typeof fetch;
  readonly #userAgent: string;

  constructor(opts: HubClientOptions = {}) {
    this.endpoint = (opts.endpoint?.trim() || DEFAULT_HUB_ENDPOINT).replace(/\/+$/, "");
    this.#token = opts.token?.trim() || undefined;
    this.#fetch = opts.fetch ?? fetch;
    this.#userAgent = opts.userAgent ?? "rkllm-api";
  }

  get hasToken(): boolean {
    return this.#token !== undefined;
  }

  /** Every file of `repo` at `revision`, any depth. */
  async listFiles(repo: string, revision: string, signal?: AbortSignal): Promise<HubFile[]> {
    const files: HubFile[] = [];
    let url: string | undefined = `${this.endpoint}/api/models/${encodePath(repo)}/tree/` +
      `${encodeURIComponent(revision)}?recursive=true`;
    for (let page = 0; url !== undefined && page < MAX_TREE_PAGES; page++) {
      const res = await this.#request(url, repo, `${repo}@${revision}`, { signal });
      let body: unknown;
      try {
        body = await res.json();
      } catch (cause) {
        throw new HubUnavailableError(`The Hub's file listing of ${repo} is not JSON`, cause);
      }
      const parsed = TreePage.safeParse(body);
      if (!parsed.success) {
        throw new HubUnavailableError(`The Hub's file listing of ${repo} has an unexpected shape`);
      }
      for (const entry of parsed.data) {
        if (entry.type !== "file") continue;
        const file: HubFile = { path: entry.path, size: entry.size, gitOid: entry.oid };
        if (entry.lfs !== undefined) {
          file.size = entry.lfs.size;
          file.sha256 = entry.lfs.oid.replace(/^sha256:/, "").toLowerCase();
        }
        files.push(file);
      }
      url = nextLink(res.headers.get("link"), url);
    }
    return files;
  }

  /**
   * The response for a file's bytes: 200 (whole file), 206 (from `offset`) or 416 (offset at or
   * past the end). Redirects are followed; anything else throws a typed error.
   */
  async openFile(
    repo: string,
    revision: string,
    path: string,
    opts: OpenFileOptions = {},
  ): Promise<Response> {
    const url = `${this.endpoint}/${encodePath(repo)}/resolve/${encodeURIComponent(revision)}/` +
      encodePath(path);
    const headers: Record<string, string> = {};
    if (opts.offset !== undefined && opts.offset > 0) headers.Range = `bytes=${opts.offset}-`;
    return await this.#request(url, repo, `${repo}/${path}@${revision}`, {
      signal: opts.signal,
      headers,
      accept: [206, 416],
    });
  }

  async #request(
    url: string,
    repo: string,
    what: string,
    opts: { signal?: AbortSignal; headers?: Record<string, string>; accept?: number[] },
  ): Promise<Response> {
    const headers: Record<string, string> = { "User-Agent": this.#userAgent, ...opts.headers };
    if (this.#token !== undefined) headers.Authorization = `Bearer ${this.#token}`;
    let res: Response;
    try {
      res = await this.#fetch(url, { headers, signal: opts.signal, redirect: "follow" });
    } catch (cause) {
      if (opts.signal?.aborted) throw cause;
      throw new HubUnavailableError(
        `Cannot reach ${this.endpoint}: ${cause instanceof Error ? cause.message : cause}`,
        cause,
      );
    }
    if (res.ok || opts.accept?.includes(res.status)) return res;
    await res.body?.cancel();
    throw hubError(res, repo, what, this.hasToken);
  }
}

/** The typed error for a failed Hub response; `X-Error-Code` tells gated and missing apart. */
export function hubError(res: Response, repo: string, what: string, hadToken: boolean): Error {
  const code = res.headers.get("x-error-code") ?? "";
  switch (res.status) {
    case 401:
      return new HubUnauthorizedError(repo, hadToken);
    case 403:
      return new HubForbiddenError(repo, hadToken, code === "GatedRepo");
    case 404:
      if (code === "RevisionNotFound") return new HubNotFoundError(`revision of ${what}`);
      if (code === "EntryNotFound") return new HubNotFoundError(what);
      return new HubNotFoundError(`repo ${repo}`);
    default:
      return new HubUnavailableError(`Hugging Face answered ${res.status} for ${what}`);
  }
}

function encodePath(path: string): string {
  return path.split("/").map(encodeURIComponent).join("/");
}

/** The `rel="next"` target of a Link header, resolved against the current page. */
function nextLink(header: string | null, base: string): string | undefined {
  if (header === null) return undefined;
  for (const part of header.split(",")) {
    const match = /<([^>]*)>\s*;(.*)/.exec(part.trim());
    if (match !== null && /\brel\s*=\s*"?next"?/.test(match[2])) {
      return new URL(match[1], base).toString();
    }
  }
  return undefined;
}

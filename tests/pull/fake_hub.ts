/**
 * A fake of the Hugging Face endpoints a pull uses, on loopback: the recursive tree listing
 * (paged with Link headers), `resolve` redirecting LFS files to a "CDN" path that honours Range,
 * private/gated repos answering 401/403 the way the Hub does, 404s with X-Error-Code, transfers
 * dropped mid-file, servers ignoring Range, and a published hash that does not match.
 */
import { createHash } from "node:crypto";

export interface FakeFile {
  path: string;
  content: Uint8Array;
  /** Stored in LFS (listed with an sha256). Default: true for .rkllm/.rknn. */
  lfs?: boolean;
  /** Publish this sha256 instead of the real one (a corrupted upload). */
  publishedSha256?: string;
}

export interface FakeRepo {
  files: FakeFile[];
  /** private: 401 without the right token; gated: also 403 for a token without access. */
  access?: "public" | "private" | "gated";
}

export interface FakeHubOptions {
  repos: Record<string, FakeRepo>;
  /** The token that is valid. */
  token?: string;
  /** Whether the valid token's user accepted gated repos' terms. */
  gatedGranted?: boolean;
  /** The first `times` transfers of `path` end abruptly after sending `bytes` bytes each. */
  drop?: { path: string; bytes: number; times: number };
  /** Answer every Range request with the whole file (200). */
  ignoreRange?: boolean;
  /** Entries per tree page (exercises Link pagination). */
  treePageSize?: number;
  /** Pause after each chunk of a transfer (a slow link). */
  chunkDelayMs?: number;
}

export interface SeenRequest {
  path: string;
  range: string | null;
  authorization: string | null;
}

export interface FakeHub {
  endpoint: string;
  requests: SeenRequest[];
  close(): Promise<void>;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export function gitOid(bytes: Uint8Array): string {
  return createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
}

/** Deterministic bytes, different per seed. */
export function bytesOf(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed * 2654435761 >>> 0;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

const CHUNK = 16 * 1024;

export function startFakeHub(opts: FakeHubOptions): FakeHub {
  const requests: SeenRequest[] = [];
  let drops = opts.drop?.times ?? 0;

  const isLfs = (f: FakeFile) => f.lfs ?? /\.(rkllm|rknn)$/.test(f.path);
  const find = (repo: string) => opts.repos[repo];
  const errorResponse = (status: number, code: string) =>
    new Response(JSON.stringify({ error: code }), {
      status,
      headers: { "X-Error-Code": code, "Content-Type": "application/json" },
    });
  /** The Hub's gate: anonymous or wrong-token callers of a non-public repo get 401. */
  const gate = (repo: FakeRepo | undefined, auth: string | null): Response | undefined => {
    const valid = opts.token !== undefined && auth === `Bearer ${opts.token}`;
    if (repo === undefined) {
      return valid ? errorResponse(404, "RepoNotFound") : errorResponse(401, "RepoNotFound");
    }
    if ((repo.access ?? "public") === "public") return undefined;
    if (!valid) return errorResponse(401, "RepoNotFound");
    if (repo.access === "gated" && !opts.gatedGranted) return errorResponse(403, "GatedRepo");
    return undefined;
  };

  const tree = (repo: FakeRepo, url: URL): Response => {
    const entries = repo.files.map((f) => ({
      type: "file",
      path: f.path,
      size: isLfs(f) ? 134 : f.content.length,
      oid: gitOid(isLfs(f) ? new TextEncoder().encode(`pointer ${f.path}`) : f.content),
      ...(isLfs(f)
        ? {
          lfs: {
            oid: f.publishedSha256 ?? sha256Hex(f.content),
            size: f.content.length,
            pointerSize: 134,
          },
        }
        : {}),
    }));
    const dirs = [...new Set(repo.files.map((f) => f.path.split("/").slice(0, -1).join("/")))]
      .filter((d) => d !== "")
      .map((d) => ({ type: "directory", path: d, size: 0, oid: "0".repeat(40) }));
    const all = [...dirs, ...entries];
    const size = opts.treePageSize ?? all.length;
    const start = Number(url.searchParams.get("cursor") ?? "0");
    const headers: Record<string, string> = { "Content-Type": "application/json" };
    if (start + size < all.length) {
      const next = new URL(url);
      next.searchParams.set("cursor", String(start + size));
      headers.Link = `<${next.pathname}${next.search}>; rel="next"`;
    }
    return new Response(JSON.stringify(all.slice(start, start + size)), { headers });
  };

  const content = (file: FakeFile, range: string | null): Response => {
    const total = file.content.length;
    let start = 0;
    const match = /^bytes=(\d+)-$/.exec(range ?? "");
    if (match !== null && !opts.ignoreRange) {
      start = Number(match[1]);
      if (start >= total) {
        return new Response(null, {
          status: 416,
          headers: { "Content-Range": `bytes */${total}` },
        });
      }
    }
    const dropAt = opts.drop?.path === file.path && drops > 0
      ? (drops--, start + opts.drop.bytes)
      : undefined;
    let at = start;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (opts.chunkDelayMs) await new Promise((r) => setTimeout(r, opts.chunkDelayMs));
        const end = Math.min(total, at + CHUNK, dropAt ?? Infinity);
        if (at >= end) {
          if (dropAt !== undefined && at < total) controller.error(new Error("connection dropped"));
          else controller.close();
          return;
        }
        controller.enqueue(file.content.slice(at, end));
        at = end;
      },
    });
    const headers: Record<string, string> = {
      "Content-Length": String(total - start),
      "Accept-Ranges": "bytes",
    };
    if (start > 0) headers["Content-Range"] = `bytes ${start}-${total - 1}/${total}`;
    return new Response(body, { status: start > 0 ? 206 : 200, headers });
  };

  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const url = new URL(req.url);
    const auth = req.headers.get("authorization");
    requests.push({ path: url.pathname, range: req.headers.get("range"), authorization: auth });
    const parts = url.pathname.split("/").slice(1).map(decodeURIComponent);

    if (parts[0] === "api" && parts[1] === "models" && parts[4] === "tree") {
      const repo = find(`${parts[2]}/${parts[3]}`);
      const refused = gate(repo, auth);
      if (refused !== undefined) return refused;
      if (parts[5] !== "main") return errorResponse(404, "RevisionNotFound");
      return tree(repo!, url);
    }
    if (parts[0] === "cdn") {
      const file = find(`${parts[1]}/${parts[2]}`)?.files.find((f) =>
        f.path === parts.slice(3).join("/")
      );
      return file === undefined
        ? errorResponse(404, "EntryNotFound")
        : content(file, req.headers.get("range"));
    }
    if (parts[2] === "resolve") {
      const repo = find(`${parts[0]}/${parts[1]}`);
      const refused = gate(repo, auth);
      if (refused !== undefined) return refused;
      const path = parts.slice(4).join("/");
      const file = repo!.files.find((f) => f.path === path);
      if (file === undefined) return errorResponse(404, "EntryNotFound");
      if (!isLfs(file)) return content(file, req.headers.get("range"));
      return new Response(null, {
        status: 302,
        headers: { Location: `/cdn/${parts[0]}/${parts[1]}/${path}` },
      });
    }
    return errorResponse(404, "NotFound");
  });
  const { port } = server.addr as Deno.NetAddr;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    close: () => server.shutdown(),
  };
}

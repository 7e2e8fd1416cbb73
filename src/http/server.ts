/**
 * The HTTP listener. It accepts TCP connections itself and hands each to Deno's HTTP engine, so
 * that it can do three things `Deno.serve` has no option for:
 * - keep running when the process is out of file descriptors: `Deno.serve`'s accept loop ends for
 *   good on EMFILE; here the waiting connection is shed (accepted on a reserved descriptor and
 *   closed at once), the episode is logged, and accepting resumes as soon as descriptors free up;
 * - close connections that hold a socket without a request: none complete within
 *   `headerTimeoutMs` of opening, or none started within `idleTimeoutMs` of the last response
 *   (Deno exposes no bytes before a request head is complete, so a head still trickling in
 *   counts as idle);
 * - bound the time to receive a request body (`bodyTimeoutMs`): each request gets a
 *   `BodyDeadline` (body_deadline.ts) the body reader honours; after its 408 the connection is
 *   closed, since the rest of that body is never read.
 * The per-connection engine is Deno's internal `serveHttpOnConnection` (what `Deno.serve` runs
 * per listener). A Deno without it gets `Deno.serve` with body deadlines only, and a WARN line.
 * Imports only src/log.ts and body_deadline.ts.
 */
import type { Logger } from "../log.ts";
import { type BodyDeadline, withBodyDeadline } from "./body_deadline.ts";

export interface ConnectionLimits {
  /** A new connection must complete its first request head within this; 0 = no limit. */
  headerTimeoutMs: number;
  /** A connection with no request in progress is closed after this; 0 = no limit. */
  idleTimeoutMs: number;
  /** A request body must arrive in full within this; 0 = no limit. */
  bodyTimeoutMs: number;
}

/** The app; `deadline` goes to Hono as its env (`c.env`). */
export type Handler = (request: Request, deadline: BodyDeadline) => Response | Promise<Response>;

function deadlineFor(limits: ConnectionLimits, closeAfterResponse: () => void): BodyDeadline {
  return {
    bodyDeadline: limits.bodyTimeoutMs > 0 ? Date.now() + limits.bodyTimeoutMs : Infinity,
    bodyTimeoutMs: limits.bodyTimeoutMs,
    closeAfterResponse,
  };
}

/** Calls the app with the request's deadline; a chunked body gets it inside its stream too. */
function dispatch(handler: Handler, request: Request, deadline: BodyDeadline) {
  const chunked = request.body !== null && !request.headers.has("content-length");
  return handler(chunked ? withBodyDeadline(request, deadline) : request, deadline);
}

/** Deno's per-connection server (`serveHttpOnConnection`). */
export type ServeConnection = (
  conn: Deno.Conn,
  signal: AbortSignal,
  handler: (request: Request, info: Deno.ServeHandlerInfo) => Response | Promise<Response>,
  onError: (error: unknown) => Response,
  onListen: (scheme: string) => void,
) => { finished: Promise<void>; shutdown(): Promise<void> };

export interface HttpServerOptions {
  hostname: string;
  port: number;
  handler: Handler;
  limits: ConnectionLimits;
  log: Logger;
  onListen?: (addr: Deno.NetAddr) => void;
  /** Defaults to Deno's internal per-connection server; null = plain `Deno.serve`. */
  serveConnection?: ServeConnection | null;
}

export interface HttpServer {
  readonly addr: Deno.NetAddr;
  /** Stop accepting, let requests in progress finish, close idle connections. */
  shutdown(): Promise<void>;
}

/** `serveHttpOnConnection` from Deno's internals, if this Deno has it. */
export function denoServeConnection(): ServeConnection | null {
  const internal = (Deno as unknown as Record<symbol, Record<string, unknown> | undefined>)[
    (Deno as unknown as { internal: symbol }).internal
  ];
  const fn = internal?.serveHttpOnConnection;
  return typeof fn === "function" ? fn as ServeConnection : null;
}

/** EMFILE (process) or ENFILE (system): no descriptor for the next connection. */
export function isOutOfDescriptors(err: unknown): boolean {
  return /\(os error 2[34]\)|too many open files/i.test(String((err as Error)?.message ?? err));
}

interface Connection {
  readonly close: AbortController;
  served: number;
  inFlight: number;
  /** When the connection last had nothing in progress (opened or its last response sent). */
  idleSince: number;
  /** The rest of a timed-out body was never read: close once the 408 is sent. */
  closeAfterResponse: boolean;
  /** Deno's side of the connection has ended. */
  ended: boolean;
  server?: { finished: Promise<void>; shutdown(): Promise<void> };
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const CLOSE_AFTER_RESPONSE_MS = 50;
/** Requests still running at shutdown get this long before their connections are cut. */
export const SHUTDOWN_GRACE_MS = 4000;

/**
 * Closes a connection. When it has just ended on its own (hyper closes after a response whose
 * request body was abandoned), Deno's close handler throws BadResource from inside `abort()`,
 * as an uncaught error that would end the process; that one error is absorbed, nothing else.
 */
let cutting = false;
let absorbing = false;
function cut(c: Connection): void {
  if (c.ended || c.close.signal.aborted) return;
  if (!absorbing) {
    absorbing = true;
    globalThis.addEventListener("error", (event) => {
      if (cutting && event.error instanceof Deno.errors.BadResource) event.preventDefault();
    });
  }
  cutting = true;
  try {
    c.close.abort();
  } finally {
    cutting = false;
  }
}

/** Starts the server; throws Deno's error (AddrInUse, PermissionDenied…) if it cannot listen. */
export function serveHttp(opts: HttpServerOptions): HttpServer {
  const serveConnection = opts.serveConnection === undefined
    ? denoServeConnection()
    : opts.serveConnection;
  if (!serveConnection) return fallbackServer(opts);
  const now = () => performance.now();
  const { log, limits } = opts;
  const listener = Deno.listen({ hostname: opts.hostname, port: opts.port });
  const addr = listener.addr as Deno.NetAddr;
  const open = new Set<Connection>();
  let stopping = false;

  const reaper = startReaper(open, limits, now, log);
  const handlerFor = (c: Connection) => (request: Request, info: Deno.ServeHandlerInfo) => {
    c.inFlight++;
    const settled = () => {
      c.inFlight--;
      c.served++;
      c.idleSince = now();
      // `completed` settles when the response is handed over, not yet written: closing in the
      // same turn would discard the 408. One timer turn later it is on the wire.
      if (c.closeAfterResponse) setTimeout(() => cut(c), CLOSE_AFTER_RESPONSE_MS);
    };
    info.completed.then(settled, settled);
    return dispatch(
      opts.handler,
      request,
      deadlineFor(limits, () => {
        c.closeAfterResponse = true;
      }),
    );
  };
  const onError = (error: unknown) => {
    log.error("http", "unhandled error", { error: String(error) });
    return new Response("Internal Server Error", { status: 500 });
  };

  const serve = (conn: Deno.Conn) => {
    const c: Connection = {
      close: new AbortController(),
      served: 0,
      inFlight: 0,
      idleSince: now(),
      closeAfterResponse: false,
      ended: false,
    };
    open.add(c);
    c.server = serveConnection(conn, c.close.signal, handlerFor(c), onError, () => {});
    const ended = () => {
      c.ended = true;
      open.delete(c);
    };
    c.server.finished.then(ended, (err) => {
      log.debug("http", "connection ended", { error: String(err) });
      ended();
    });
  };

  const accepting = acceptLoop(listener, serve, () => stopping, () => open.size, log);
  opts.onListen?.(addr);
  return {
    addr,
    async shutdown() {
      stopping = true;
      clearInterval(reaper);
      listener.close();
      await accepting;
      // Idle connections go at once; those with a request in progress may finish it.
      for (const c of open) if (c.inFlight === 0) cut(c);
      const graceful = Promise.all([...open].map((c) => c.server?.shutdown().catch(() => {})));
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        graceful,
        new Promise((resolve) => {
          timer = setTimeout(resolve, SHUTDOWN_GRACE_MS);
        }),
      ]);
      clearTimeout(timer);
      // A body still trickling in would hold a graceful close for as long as it lasts.
      for (const c of open) cut(c);
    },
  };
}

/**
 * Accepts until `stopped()`. Out of descriptors, the waiting connection is shed: the reserved
 * descriptor is released for one accept, that connection closed at once, the reserve retaken.
 * Without the shedding the kernel would keep the connection waiting and wake the loop for it.
 */
async function acceptLoop(
  listener: Deno.Listener,
  serve: (conn: Deno.Conn) => void,
  stopped: () => boolean,
  openCount: () => number,
  log: Logger,
): Promise<void> {
  let reserve = openReserve();
  /** The current run of failed accepts: since when, and how many connections were shed. */
  let episode: { since: number; shed: number } | null = null;
  for (;;) {
    let conn: Deno.Conn;
    try {
      conn = await listener.accept();
    } catch (err) {
      if (stopped()) break;
      if (!isOutOfDescriptors(err)) {
        log.error("http", "accept failed", { error: String(err) });
        await delay(100);
        continue;
      }
      if (!episode) {
        episode = { since: Date.now(), shed: 0 };
        log.warn("http", "out of file descriptors: refusing new connections until some close", {
          open_connections: openCount(),
        });
      }
      if (reserve) {
        reserve.close();
        reserve = null;
        try {
          (await listener.accept()).close();
          episode.shed++;
        } catch {
          // another descriptor was taken meanwhile: wait below
        }
        reserve = openReserve();
      }
      await delay(reserve ? 10 : 100);
      continue;
    }
    if (episode) {
      log.info("http", "accepting connections again", {
        refused: episode.shed,
        after_ms: Date.now() - episode.since,
      });
      episode = null;
    }
    reserve ??= openReserve();
    serve(conn);
  }
  reserve?.close();
}

function openReserve(): Deno.FsFile | null {
  try {
    return Deno.openSync("/dev/null");
  } catch {
    return null;
  }
}

/** Closes connections idle past their limit; one timer for all of them. */
function startReaper(
  open: Set<Connection>,
  limits: ConnectionLimits,
  now: () => number,
  log: Logger,
): ReturnType<typeof setInterval> | undefined {
  const active = [limits.headerTimeoutMs, limits.idleTimeoutMs].filter((ms) => ms > 0);
  if (!active.length) return undefined;
  const every = Math.min(1000, Math.max(50, Math.min(...active) / 4));
  return setInterval(() => {
    const t = now();
    let header = 0;
    let idle = 0;
    for (const c of open) {
      if (c.inFlight > 0 || c.close.signal.aborted || c.ended) continue;
      const limit = c.served === 0 ? limits.headerTimeoutMs : limits.idleTimeoutMs;
      if (limit > 0 && t - c.idleSince >= limit) {
        cut(c);
        if (c.served === 0) header++;
        else idle++;
      }
    }
    if (header + idle > 0) {
      log.info("http", "closed idle connections", {
        no_request: header || undefined,
        idle_keepalive: idle || undefined,
        open: open.size - header - idle,
      });
    }
  }, every);
}

function fallbackServer(opts: HttpServerOptions): HttpServer {
  opts.log.warn(
    "http",
    "this Deno has no per-connection server: header and idle timeouts and out-of-descriptor recovery are off",
  );
  const server = Deno.serve({
    hostname: opts.hostname,
    port: opts.port,
    onListen: () => {},
  }, (request) => dispatch(opts.handler, request, deadlineFor(opts.limits, () => {})));
  opts.onListen?.(server.addr);
  return { addr: server.addr, shutdown: () => server.shutdown() };
}

import type { Server as HttpServer } from "node:http";
import { createServer as createNetServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer, type TLSSocket } from "node:tls";
import { TransportError } from "../../../transport/errors.js";
import { socketErrorText } from "../../../transport/socket-error-text.js";

/**
 * A listener's TLS: certificate and key (PEM), and optionally the CA whose client certificates
 * are asked for and verified (not required: the socket's `authorized` says whether one was).
 */
export interface ListenerTls {
  cert: string | Buffer;
  key: string | Buffer;
  ca?: string | Buffer | undefined;
}

/**
 * Takes one HTTP/2 connection (cleartext or TLS), already past protocol detection.
 * `firstBytesTimeoutMs`: how long a cleartext connection may stay silent before its protocol is
 * known (the listener closes it then; the shortest of the handlers' wins, else 60 s).
 */
export type Http2ConnectionHandler = ((socket: Socket) => void) & { readonly firstBytesTimeoutMs?: number };

/** What one listening port serves. */
export interface HubListenerOptions {
  /** TLS with this certificate and key (PEM); ALPN offers "h2" when `http2()` has a handler. */
  tls?: ListenerTls | undefined;
  /** Gets every HTTP/1.x connection (WebSocket upgrades included); it never listens itself. */
  http1: HttpServer;
  /** The HTTP/2 handler, asked per connection (an extension may attach after the port opens); undefined: HTTP/1.x only. */
  http2(): Http2ConnectionHandler | undefined;
  /** An HTTP/1.x handler that takes connections before `http1` (handing to it what it does not serve itself). */
  http1Engine?(): Http1ConnectionHandler | undefined;
}

/** Takes one HTTP/1.x connection (a WebSocket upgrade is handed on to the hub's node:http server); `firstBytesTimeoutMs` as for HTTP/2. */
export type Http1ConnectionHandler = ((socket: Socket) => void) & { readonly firstBytesTimeoutMs?: number };

/** How long a connection may send nothing before its protocol is known, when no handler says (node:http's headersTimeout). */
const FIRST_BYTES_TIMEOUT_MS = 60_000;

/** How a cleartext HTTP/2 connection starts ("prior knowledge", RFC 9113 §3.3): no HTTP/1 method is "PRI". */
const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

/**
 * One port for WebSocket upgrades, HTTP/1.1 and HTTP/2:
 *
 *   TLS:       ALPN "h2" ──────────────────────────▶ http2()      else ──▶ http1 (upgrades, requests)
 *   cleartext: first bytes = HTTP/2 preface ──────▶ http2()      else ──▶ http1
 *
 * Cleartext detection reads the connection's first chunk and puts it back (`unshift`) before
 * handing the socket over; without an HTTP/2 handler nothing is read here.
 */
export function createHubListener(options: HubListenerOptions): Server {
  const { http1 } = options;
  if (options.tls !== undefined) {
    const server = createTlsServer({
      noDelay: true,
      cert: options.tls.cert,
      key: options.tls.key,
      ...(options.tls.ca === undefined ? {} : { ca: options.tls.ca, requestCert: true, rejectUnauthorized: false }),
      ALPNCallback: ({ protocols }) => (options.http2() !== undefined && protocols.includes("h2") ? "h2" : protocols.includes("http/1.1") ? "http/1.1" : undefined),
    });
    server.on("secureConnection", (socket: TLSSocket) => {
      const http2 = socket.alpnProtocol === "h2" ? options.http2() : undefined;
      if (http2 !== undefined) return http2(socket);
      const engine = options.http1Engine?.();
      if (engine !== undefined) engine(socket);
      else http1.emit("connection", socket);
    });
    // a failed handshake is that client's problem: it must not reach the server's "error"
    server.on("tlsClientError", (_error, socket) => socket.destroy());
    return server;
  }
  return createNetServer({ noDelay: true }, (socket) => {
    const http2 = options.http2();
    const engine = options.http1Engine?.();
    if (http2 === undefined && engine === undefined) return void http1.emit("connection", socket);
    const timeoutMs = Math.min(engine?.firstBytesTimeoutMs ?? FIRST_BYTES_TIMEOUT_MS, http2?.firstBytesTimeoutMs ?? FIRST_BYTES_TIMEOUT_MS);
    sniff(socket, http2, engine ?? ((s) => void http1.emit("connection", s)), timeoutMs);
  });
}

/**
 * Reads a cleartext connection's first bytes to tell HTTP/2 from HTTP/1.x; a connection that has
 * not shown its protocol `timeoutMs` after it opened is closed (a preface trickled a byte at a
 * time does not restart the clock).
 */
function sniff(socket: Socket, http2: Http2ConnectionHandler | undefined, http1: Http1ConnectionHandler, timeoutMs: number): void {
  let seen: Buffer | undefined;
  const deadline = performance.now() + timeoutMs;
  const onReadable = (): void => {
    for (let chunk: Buffer | null; (chunk = socket.read() as Buffer | null) !== null; ) seen = seen === undefined ? chunk : Buffer.concat([seen, chunk]);
    if (seen === undefined) return;
    const length = Math.min(seen.length, PREFACE.length);
    const h2 = http2 !== undefined && seen.subarray(0, length).equals(PREFACE.subarray(0, length));
    if (h2 && length < PREFACE.length) {
      // the preface so far: wait for the rest of it, until the deadline (socket timeouts restart with every byte)
      const left = deadline - performance.now();
      if (left <= 0) return onSilent();
      socket.setTimeout(Math.ceil(left));
      return;
    }
    done();
    socket.unshift(seen);
    if (h2) http2!(socket);
    else http1(socket);
  };
  const onGone = (): void => done();
  const onSilent = (): void => {
    done();
    socket.destroy();
  };
  const done = (): void => {
    socket.off("readable", onReadable);
    socket.off("close", onGone);
    socket.off("error", onGone);
    socket.off("timeout", onSilent);
    socket.setTimeout(0);
  };
  socket.on("readable", onReadable);
  socket.on("close", onGone);
  socket.on("error", onGone);
  socket.setTimeout(timeoutMs, onSilent);
}

/** Listens on "host:port"; rejects with `AddressInUse` or `InvalidAddress` (a TransportError naming `what`). */
export function listenOn(server: Server, bindAddr: string, what = "bindAddr"): Promise<void> {
  const match = /^(.*):(\d+)$/.exec(bindAddr);
  if (match === null || Number(match[2]) > 65535) return Promise.reject(new TransportError("InvalidAddress", `${what} must be "host:port" with a port 0-65535, got "${bindAddr}"`, { address: bindAddr }));
  return new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      const code = error.code === "EADDRINUSE" ? "AddressInUse" : "InvalidAddress";
      reject(new TransportError(code, `cannot listen on ${bindAddr}: ${socketErrorText(error)}`, { address: bindAddr }, { cause: error }));
    };
    server.once("error", onError);
    server.listen(Number(match[2]), match[1]!.replace(/^\[|\]$/g, ""), () => {
      server.off("error", onError);
      resolve();
    });
  });
}

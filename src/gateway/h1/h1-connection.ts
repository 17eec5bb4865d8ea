/**
 * HTTP/1.1 for the edge's own calls, without node:http's per-request machinery: the plain
 * requests every unary call is (origin-form target, `content-length` or no body, no
 * `transfer-encoding`, `expect` or `upgrade`) are parsed and answered here, each answer one
 * write. Anything else — a WebSocket upgrade, a chunked upload, `expect: 100-continue`, HEAD,
 * HTTP/1.0 without keep-alive — hands the whole connection, bytes already read included, to
 * node's HTTP server for the rest of its life, once every answer due on it has been written.
 *
 *   bytes ──▶ request head ──plain──▶ H1Exchange ──▶ onRequest ──▶ answers in request order
 *                         └─other──▶ handOver(socket, bytes) ──▶ node:http (upgrades, chunked, …)
 *
 * Bounded: a request head over `maxHeadBytes` is answered 431 and the connection closed; a body
 * is read only as its consumer takes it (the socket is paused meanwhile); an idle connection
 * closes after `idleTimeoutMs`.
 */
import type { Socket } from "node:net";
import type { IncomingHttpHeaders } from "node:http";
import { H1Exchange } from "./h1-exchange.js";

/** Settings of the edge's HTTP/1.1 connections. */
export interface H1Limits {
  maxHeadBytes: number;
  idleTimeoutMs: number;
}

/** Hands a connection to node's HTTP server, with the bytes read from it so far. */
export type HandOver = (socket: Socket, read: Buffer) => void;

const HEAD_END = Buffer.from("\r\n\r\n", "latin1");
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** One HTTP/1.1 connection handled by the edge. */
export class H1Connection {
  readonly #socket: Socket;
  readonly #onRequest: (exchange: H1Exchange) => void;
  readonly #handOver: HandOver;
  readonly #limits: H1Limits;
  #input: Buffer | undefined;
  /** Exchanges not yet answered in full, oldest first: only the first writes to the socket. */
  readonly #answering: H1Exchange[] = [];
  /** The exchange whose body is being read, and how many body bytes are still to come. */
  #reading: H1Exchange | undefined;
  #bodyLeft = 0;
  /** Bytes to give node's server once every answer is out. */
  #handing: Buffer | undefined;
  #closed = false;
  #closeAfter = false;
  /** The client sent FIN: its bytes can no longer be put back for node's server. */
  #clientEnded = false;
  readonly #onGone: () => void;

  /** `onGone`: the connection closed, or went to node's server. */
  constructor(socket: Socket, onRequest: (exchange: H1Exchange) => void, handOver: HandOver, limits: H1Limits, onGone: () => void) {
    this.#socket = socket;
    this.#onRequest = onRequest;
    this.#handOver = handOver;
    this.#limits = limits;
    this.#onGone = onGone;
    socket.setNoDelay?.(true);
    socket.setTimeout(limits.idleTimeoutMs);
    socket.on("data", this.#onData);
    socket.on("timeout", this.#onTimeout);
    socket.on("end", this.#onEnd);
    socket.on("close", this.#onSocketClose);
    socket.on("error", () => undefined); // "close" follows
    socket.resume();
  }

  /** Closes the connection now (the edge is closing). */
  destroy(): void {
    this.#socket.destroy();
  }

  /** The socket, for exchanges to write to. @internal */
  get socket(): Socket {
    return this.#socket;
  }

  /** Whether `exchange` may write now (it is the oldest unanswered one). @internal */
  mayWrite(exchange: H1Exchange): boolean {
    return this.#answering[0] === exchange;
  }

  /** `exchange` has written its whole answer. @internal */
  answered(exchange: H1Exchange, keepAlive: boolean): void {
    const at = this.#answering.indexOf(exchange);
    if (at >= 0) this.#answering.splice(at, 1);
    if (!keepAlive) this.#closeAfter = true;
    if (this.#handing !== undefined && this.#answering.length === 0) return this.#handOverNow();
    if (this.#closeAfter && this.#answering.length === 0 && this.#reading === undefined) return this.#end();
    this.#answering[0]?.promoted();
  }

  /** The body consumer paused or resumed: so does reading the socket. @internal */
  setPaused(paused: boolean): void {
    if (paused) this.#socket.pause();
    else if (this.#handing === undefined) this.#socket.resume();
  }

  readonly #onData = (chunk: Buffer): void => {
    if (this.#closed) return;
    let input = this.#input === undefined ? chunk : Buffer.concat([this.#input, chunk]);
    this.#input = undefined;
    while (input.length > 0 && !this.#closed && this.#handing === undefined) {
      if (this.#reading !== undefined) {
        const take = Math.min(this.#bodyLeft, input.length);
        const exchange = this.#reading;
        this.#bodyLeft -= take;
        if (this.#bodyLeft === 0) this.#reading = undefined;
        exchange.bodyIn(input.subarray(0, take), this.#bodyLeft === 0);
        input = input.subarray(take);
        continue;
      }
      const end = input.indexOf(HEAD_END);
      if (end < 0) {
        if (input.length > this.#limits.maxHeadBytes) return this.#refuse(431, "Request Header Fields Too Large");
        this.#input = input;
        return;
      }
      if (end > this.#limits.maxHeadBytes) return this.#refuse(431, "Request Header Fields Too Large");
      const request = parseHead(input.toString("latin1", 0, end));
      if (request === undefined) return this.#refuse(400, "Bad Request");
      if (!request.plain) {
        // the rest of this connection is node's: after every answer we owe on it
        this.#handing = input;
        this.#socket.pause();
        if (this.#answering.length === 0 && this.#reading === undefined) this.#handOverNow();
        return;
      }
      input = input.subarray(end + 4);
      const exchange = new H1Exchange(this, request.method, request.target, request.headers, request.keepAlive);
      this.#answering.push(exchange);
      if (request.contentLength > 0) {
        this.#reading = exchange;
        this.#bodyLeft = request.contentLength;
      }
      this.#onRequest(exchange);
      if (request.contentLength === 0) exchange.bodyIn(EMPTY, true);
    }
  };

  #handOverNow(): void {
    // a half-closed client's bytes cannot be given back to the socket (no unshift after "end"):
    // a request node would have had to serve after pipelined ones we answered is refused instead
    if (this.#clientEnded) return this.#refuse(400, "Bad Request");
    const bytes = this.#handing!;
    this.#handing = undefined;
    this.#detach();
    this.#onGone();
    this.#handOver(this.#socket, bytes);
  }

  /** Answers a malformed request and closes the connection. */
  #refuse(status: number, reason: string): void {
    this.#closed = true;
    this.#socket.end(`HTTP/1.1 ${status} ${reason}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    this.#abortAll();
  }

  #end(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.end();
  }

  /**
   * The client finished sending (FIN): as node:http does (`httpAllowHalfOpen` false), what it
   * asked and has not been answered is abandoned — its calls are cancelled — and the connection ends.
   */
  readonly #onEnd = (): void => {
    this.#clientEnded = true;
    this.#abortAll();
    this.#end();
  };

  readonly #onTimeout = (): void => {
    if (this.#answering.length === 0 && this.#reading === undefined) this.#end();
  };

  readonly #onSocketClose = (): void => {
    this.#closed = true;
    this.#abortAll();
    this.#onGone();
  };

  #abortAll(): void {
    for (const exchange of this.#answering.splice(0)) exchange.socketClosed();
    this.#reading = undefined;
  }

  /** Stops listening to the socket (it is node's now). */
  #detach(): void {
    this.#socket.off("data", this.#onData);
    this.#socket.off("timeout", this.#onTimeout);
    this.#socket.off("end", this.#onEnd);
    this.#socket.off("close", this.#onSocketClose);
    this.#socket.setTimeout(0);
  }
}

interface ParsedHead {
  method: string;
  target: string;
  headers: IncomingHttpHeaders;
  contentLength: number;
  keepAlive: boolean;
  /** Whether the edge answers it here (else node's server takes the connection). */
  plain: boolean;
}

/** A request head (request line and fields), or undefined when it is malformed. */
function parseHead(text: string): ParsedHead | undefined {
  const lines = text.split("\r\n");
  const requestLine = /^([A-Z]+) (\S+) HTTP\/1\.([01])$/.exec(lines[0]!);
  if (requestLine === null) return undefined;
  const [, method, target, minor] = requestLine as unknown as [string, string, string, string];
  const headers: IncomingHttpHeaders = {};
  let lengths = 0;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(":");
    if (colon <= 0) return undefined;
    const name = line.slice(0, colon).toLowerCase();
    if (!TOKEN.test(name)) return undefined;
    const value = line.slice(colon + 1).trim();
    if (/[\0\r\n]/.test(value)) return undefined;
    if (name === "content-length") lengths++;
    const before = headers[name];
    headers[name] = before === undefined ? value : name === "set-cookie" ? [...(Array.isArray(before) ? before : [before]), value] : `${String(before)}, ${value}`;
  }
  const lengthText = headers["content-length"] as string | undefined;
  if (lengths > 1 || (lengthText !== undefined && !/^\d{1,15}$/.test(lengthText))) return undefined;
  const connection = String(headers["connection"] ?? "").toLowerCase();
  const keepAlive = minor === "1" ? !connection.includes("close") : connection.includes("keep-alive");
  const plain =
    target.startsWith("/") &&
    method !== "HEAD" &&
    minor === "1" &&
    headers["transfer-encoding"] === undefined &&
    headers["upgrade"] === undefined &&
    headers["expect"] === undefined;
  return { method, target, headers, contentLength: lengthText === undefined ? 0 : Number(lengthText), keepAlive, plain };
}

const EMPTY = Buffer.alloc(0);

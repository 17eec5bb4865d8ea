/**
 * One HTTP/1.1 request of an `H1Connection` and its answer, as an HttpExchange: a whole answer
 * (`reply`) is one write with a content-length; a streamed one (`respond`, `write`, `end`) is
 * chunked, trailers in the last chunk. Answers go out in request order: an exchange that is not
 * the oldest unanswered one on its connection keeps its bytes until its turn.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http";
import type { HttpExchange } from "../http-exchange.js";
import { H1Body } from "./h1-body.js";
import type { H1Connection } from "./h1-connection.js";

/** write() returns false past this much waiting in the socket. */
const HIGH_WATER_MARK = 16 * 1024;

/** One request and its answer. */
export class H1Exchange implements HttpExchange {
  readonly httpVersion = "1.1";
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: H1Body;
  extraHeaders: OutgoingHttpHeaders | undefined;
  readonly #connection: H1Connection;
  #keepAlive: boolean;
  #headSent = false;
  #chunked = false;
  #finished = false;
  #gone = false;
  /** Bytes waiting for this exchange's turn to write. */
  #held: Buffer[] | undefined;
  #closeListeners: (() => void)[] | undefined;

  constructor(connection: H1Connection, method: string, target: string, headers: IncomingHttpHeaders, keepAlive: boolean) {
    this.#connection = connection;
    this.method = method;
    this.headers = headers;
    this.#keepAlive = keepAlive;
    const mark = target.indexOf("?");
    this.path = mark < 0 ? target : target.slice(0, mark);
    this.query = mark < 0 ? "" : target.slice(mark + 1);
    this.body = new H1Body(connection);
  }

  get responded(): boolean {
    return this.#headSent;
  }

  get closed(): boolean {
    return this.#finished || this.#gone;
  }

  get bufferedBytes(): number {
    let held = 0;
    for (const chunk of this.#held ?? []) held += chunk.length;
    return held + (this.#connection.mayWrite(this) ? this.#connection.socket.writableLength : 0);
  }

  respond(status: number, headers: OutgoingHttpHeaders, trailers: boolean): void {
    void trailers;
    if (this.closed || this.#headSent) return;
    this.#headSent = true;
    this.#chunked = true;
    this.#emit(Buffer.from(this.#head(status, headers, "transfer-encoding: chunked\r\n"), "latin1"));
  }

  reply(status: number, headers: OutgoingHttpHeaders, body: Uint8Array | string): void {
    if (this.closed || this.#headSent) return;
    this.#headSent = true;
    const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
    const head = this.#head(status, headers, `content-length: ${bytes.length}\r\n`);
    const out = Buffer.allocUnsafe(head.length + bytes.length);
    out.write(head, 0, "latin1");
    out.set(bytes, head.length);
    this.#emit(out);
    this.#finish();
  }

  write(chunk: Uint8Array): boolean {
    if (this.closed || !this.#chunked || chunk.length === 0) return true;
    const size = `${chunk.length.toString(16)}\r\n`;
    const out = Buffer.allocUnsafe(size.length + chunk.length + 2);
    out.write(size, 0, "latin1");
    out.set(chunk, size.length);
    out.write("\r\n", size.length + chunk.length, "latin1");
    this.#emit(out);
    return this.bufferedBytes < HIGH_WATER_MARK;
  }

  end(trailers?: OutgoingHttpHeaders): void {
    if (this.closed) return;
    if (!this.#headSent) return this.reply(200, {}, "");
    let last = "0\r\n";
    for (const name in trailers ?? {}) last += `${name}: ${String(trailers![name])}\r\n`;
    this.#emit(Buffer.from(`${last}\r\n`, "latin1"));
    this.#finish();
  }

  onDrain(listener: () => void): void {
    this.#connection.socket.once("drain", listener);
  }

  onClose(listener: () => void): void {
    (this.#closeListeners ??= []).push(listener);
  }

  destroy(): void {
    this.#connection.socket.destroy();
  }

  closeConnectionAfter(): void {
    this.#keepAlive = false;
  }

  /** The body's bytes (`end`: the last of them). @internal */
  bodyIn(data: Buffer, end: boolean): void {
    this.body.push(data, end);
  }

  /** This exchange is now the oldest unanswered one: write what it holds. @internal */
  promoted(): void {
    const held = this.#held;
    this.#held = undefined;
    const socket = this.#connection.socket;
    if (held !== undefined) for (const chunk of held) socket.write(chunk);
    if (this.#finished) this.#connection.answered(this, this.#keepAlive);
  }

  /** The connection closed under this exchange. @internal */
  socketClosed(): void {
    if (this.#gone) return;
    this.#gone = true;
    this.body.abort();
    this.#fireClose();
  }

  #emit(bytes: Buffer): void {
    if (this.#connection.mayWrite(this)) this.#connection.socket.write(bytes);
    else (this.#held ??= []).push(bytes);
  }

  #finish(): void {
    this.#finished = true;
    this.body.dump();
    if (this.#connection.mayWrite(this)) this.#connection.answered(this, this.#keepAlive);
    this.#fireClose();
  }

  #fireClose(): void {
    const listeners = this.#closeListeners;
    this.#closeListeners = undefined;
    if (listeners !== undefined) for (const listener of listeners) listener();
  }

  #head(status: number, headers: OutgoingHttpHeaders, framing: string): string {
    let head = `HTTP/1.1 ${status} ${REASONS[status] ?? "Status"}\r\ndate: ${date()}\r\n`;
    for (const source of this.extraHeaders === undefined ? [headers] : [headers, this.extraHeaders]) {
      for (const name in source) {
        const value = source[name];
        if (value === undefined) continue;
        head += `${name}: ${Array.isArray(value) ? value.join(", ") : String(value)}\r\n`;
      }
    }
    return `${head}${framing}${this.#keepAlive ? "" : "connection: close\r\n"}\r\n`;
  }
}

const REASONS: Record<number, string> = {
  200: "OK", 204: "No Content", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
  409: "Conflict", 415: "Unsupported Media Type", 429: "Too Many Requests", 431: "Request Header Fields Too Large", 499: "Client Closed Request",
  500: "Internal Server Error", 501: "Not Implemented", 503: "Service Unavailable", 504: "Gateway Timeout",
};

let cachedDate = "";
let cachedSecond = -1;

/** The Date header's value, made at most once a second. */
function date(): string {
  const second = Math.floor(Date.now() / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedDate = new Date(second * 1000).toUTCString();
  }
  return cachedDate;
}

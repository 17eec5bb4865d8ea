/**
 * One HTTP/2 stream of an `H2Connection`, as the edge's protocols see an exchange: the request
 * headers and a body the consumer reads (WINDOW_UPDATE only for what it took), and a response
 * whose DATA goes out within the client's stream and connection windows (the rest waits in
 * `#pending`, and `write` says false past HIGH_WATER_MARK so the producer waits for drain).
 *
 *   idle ──HEADERS──▶ open ──END_STREAM in──▶ half-closed (remote) ─┐
 *                      │                                            ├─ both ended, or reset ──▶ closed
 *                      └──END_STREAM out──▶ half-closed (local) ────┘  (a response ended before the
 *                                                                        request is a RST_STREAM NO_ERROR)
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http";
import type { HttpExchange } from "../http-exchange.js";
import { H2Body } from "./h2-body.js";
import { encodeHeaders } from "./hpack.js";
import type { H2Connection } from "./h2-connection.js";
import { END_STREAM, FrameType, H2Code, StreamError } from "./h2-frames.js";

const MAX_WINDOW = 0x7fff_ffff;

/** A response write returns false once this much waits for the client's window. */
const HIGH_WATER_MARK = 16 * 1024;

/** One stream, server side: an HttpExchange. */
export class H2Stream implements HttpExchange {
  readonly httpVersion = "2";
  readonly id: number;
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: H2Body;
  extraHeaders: OutgoingHttpHeaders | undefined;
  /** The size of the request's header list (what the stream costs its connection while open). */
  readonly headerBytes: number;
  readonly #connection: H2Connection;
  readonly #window: number;
  #recvWindow: number;
  #recvConsumed = 0;
  #sendWindow: number;
  /** The request's content-length (-1: none) and the DATA bytes received so far (RFC 9113 §8.1.1). */
  readonly #contentLength: number;
  #received = 0;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #headersSent = false;
  #ending: { trailers: OutgoingHttpHeaders | undefined } | undefined;
  #localEnded = false;
  #remoteEnded = false;
  /** Closed: both sides ended, or reset; the stream is forgotten. */
  #finished = false;
  #drainListeners: (() => void)[] | undefined;
  #closeListeners: (() => void)[] | undefined;

  constructor(connection: H2Connection, id: number, headers: IncomingHttpHeaders, headerBytes: number, window: number) {
    this.#connection = connection;
    this.id = id;
    this.headerBytes = headerBytes;
    this.#window = window;
    this.#recvWindow = window;
    this.#sendWindow = connection.peerInitialWindow;
    this.headers = headers;
    this.method = (headers[":method"] as string | undefined) ?? "GET";
    const url = (headers[":path"] as string | undefined) ?? "/";
    const mark = url.indexOf("?");
    this.path = mark < 0 ? url : url.slice(0, mark);
    this.query = mark < 0 ? "" : url.slice(mark + 1);
    const length = headers["content-length"];
    this.#contentLength = length === undefined ? -1 : Number(length);
    this.body = new H2Body(this);
  }

  /** The client ended its side (END_STREAM). */
  get remoteEnded(): boolean {
    return this.#remoteEnded;
  }

  get responded(): boolean {
    return this.#headersSent;
  }

  get closed(): boolean {
    return this.#localEnded || this.#finished;
  }

  get bufferedBytes(): number {
    return this.#pendingBytes;
  }

  respond(status: number, headers: OutgoingHttpHeaders, trailers: boolean): void {
    void trailers;
    if (this.closed || this.#headersSent) return;
    this.#headersSent = true;
    this.#connection.headers(this.id, encodeHeaders(fieldsOf(status, headers, this.extraHeaders)), false);
  }

  reply(status: number, headers: OutgoingHttpHeaders, body: Uint8Array | string): void {
    if (this.closed || this.#headersSent) return;
    const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
    this.#headersSent = true;
    if (bytes.length === 0) {
      this.#connection.headers(this.id, encodeHeaders(fieldsOf(status, headers, this.extraHeaders)), true);
      this.#endedLocally();
      return;
    }
    this.#connection.headers(this.id, encodeHeaders(fieldsOf(status, headers, this.extraHeaders)), false);
    this.write(bytes);
    this.end();
  }

  write(chunk: Uint8Array): boolean {
    if (this.closed || this.#ending !== undefined) return true;
    if (chunk.length > 0) {
      this.#pending.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      this.#pendingBytes += chunk.length;
      this.#connection.waiting(chunk.length);
      this.pump();
      // a client that does not open its window: the response may not wait past the stream's bound
      if (this.#pendingBytes > this.#connection.maxStreamBufferBytes) {
        this.fail(H2Code.ENHANCE_YOUR_CALM);
        return true;
      }
    }
    return this.#pendingBytes < HIGH_WATER_MARK;
  }

  end(trailers?: OutgoingHttpHeaders): void {
    if (this.closed || this.#ending !== undefined) return;
    this.#ending = { trailers };
    this.pump();
  }

  onDrain(listener: () => void): void {
    (this.#drainListeners ??= []).push(listener);
  }

  onClose(listener: () => void): void {
    (this.#closeListeners ??= []).push(listener);
  }

  destroy(): void {
    this.fail(H2Code.CANCEL);
  }

  /** Resets the stream with `code` (RST_STREAM). @internal */
  fail(code: H2Code): void {
    if (this.#finished) return;
    this.#connection.resetStream(this.id, code);
    this.#close();
  }

  closeConnectionAfter(): void {}

  /** Sends what the windows allow; the end (trailers or an empty END_STREAM DATA) once nothing waits. @internal */
  pump(): void {
    const connection = this.#connection;
    while (this.#pending.length > 0) {
      const room = Math.min(this.#sendWindow, connection.sendWindow, connection.peerMaxFrame);
      if (room <= 0 || connection.socketBlocked) {
        if (this.#sendWindow > 0) connection.wait(this); // blocked by the connection, not by this stream's window
        break;
      }
      const chunk = this.#pending[0]!;
      const size = Math.min(room, chunk.length);
      connection.frame(FrameType.DATA, 0, this.id, size === chunk.length ? chunk : chunk.subarray(0, size));
      if (size === chunk.length) this.#pending.shift();
      else this.#pending[0] = chunk.subarray(size);
      this.#pendingBytes -= size;
      connection.waiting(-size);
      this.#sendWindow -= size;
      connection.sendWindow -= size;
    }
    if (this.#pendingBytes < HIGH_WATER_MARK && this.#drainListeners !== undefined) {
      const listeners = this.#drainListeners;
      this.#drainListeners = undefined;
      queueMicrotask(() => {
        for (const listener of listeners) listener();
      });
    }
    if (this.#pending.length > 0 || this.#ending === undefined || this.#localEnded) return;
    const trailers = this.#ending.trailers;
    if (trailers !== undefined) this.#connection.headers(this.id, encodeHeaders(fieldsOf(undefined, trailers, undefined)), true);
    else connection.frame(FrameType.DATA, END_STREAM, this.id, undefined);
    this.#endedLocally();
  }

  /** DATA from the client; throws StreamError. @internal */
  dataIn(data: Buffer, endStream: boolean): void {
    if (this.#remoteEnded) {
      this.#connection.consumed(data.length);
      throw new StreamError(this.id, H2Code.STREAM_CLOSED, "DATA after END_STREAM");
    }
    this.#recvWindow -= data.length;
    if (this.#recvWindow < 0) {
      this.#connection.consumed(data.length);
      throw new StreamError(this.id, H2Code.FLOW_CONTROL_ERROR, "DATA past the stream window");
    }
    this.#received += data.length;
    if (this.#received > this.#contentLength && this.#contentLength !== -1) {
      this.#connection.consumed(data.length);
      throw new StreamError(this.id, H2Code.PROTOCOL_ERROR, "DATA does not match content-length");
    }
    if (data.length > 0) this.body.push(data);
    if (endStream) this.remoteEnd();
  }

  /** Padding of a DATA frame: counts against the stream window, given back at once. @internal */
  padding(bytes: number): void {
    this.#recvWindow -= bytes;
    this.#recvConsumed += bytes;
  }

  /** The body's consumer took `bytes`: give the windows back in halves. @internal */
  took(bytes: number): void {
    this.#connection.consumed(bytes);
    this.#recvConsumed += bytes;
    if (!this.#remoteEnded && this.#recvConsumed * 2 >= this.#window) {
      this.#connection.windowUpdate(this.id, this.#recvConsumed);
      this.#recvWindow += this.#recvConsumed;
      this.#recvConsumed = 0;
    }
  }

  /** The client ended its side (END_STREAM); throws StreamError when its DATA fell short of its content-length. @internal */
  remoteEnd(): void {
    if (this.#remoteEnded) return;
    if (this.#contentLength !== -1 && this.#received !== this.#contentLength) throw new StreamError(this.id, H2Code.PROTOCOL_ERROR, "DATA does not match content-length");
    this.#remoteEnded = true;
    this.body.end();
    if (this.#localEnded) this.#close();
  }

  /** RST_STREAM from the client (or the connection is gone). @internal */
  resetByPeer(code: number): void {
    void code;
    this.#close();
  }

  /** WINDOW_UPDATE for this stream; throws StreamError. @internal */
  windowUpdate(increment: number): void {
    if (increment === 0) throw new StreamError(this.id, H2Code.PROTOCOL_ERROR, "WINDOW_UPDATE of 0");
    if (!this.windowDelta(increment)) throw new StreamError(this.id, H2Code.FLOW_CONTROL_ERROR, "stream window past 2^31-1");
  }

  /** The client's initial window changed (SETTINGS), or it granted more; false when that takes the window past 2^31-1. @internal */
  windowDelta(delta: number): boolean {
    this.#sendWindow += delta;
    if (this.#sendWindow > MAX_WINDOW) return false;
    if (delta > 0 && this.#pending.length > 0) this.pump();
    return true;
  }

  /** Request bytes the body held unread when the stream closed: the connection window gets them back. @internal */
  dropped(bytes: number): void {
    this.#connection.consumed(bytes);
  }

  #endedLocally(): void {
    this.#localEnded = true;
    if (this.#remoteEnded) return this.#close();
    // the answer is complete while the client is still sending: ask it to stop, without an error
    this.#connection.resetStream(this.id, H2Code.NO_ERROR);
    this.#close();
  }

  #close(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#pending = [];
    if (this.#pendingBytes > 0) this.#connection.waiting(-this.#pendingBytes);
    this.#pendingBytes = 0;
    this.#drainListeners = undefined;
    this.#connection.forget(this);
    if (!this.body.readableEnded) this.body.abort();
    const listeners = this.#closeListeners;
    this.#closeListeners = undefined;
    if (listeners !== undefined) for (const listener of listeners) listener();
  }
}

/** The header fields of a response: `:status` first (when given), names lower-case, lists joined. */
function fieldsOf(status: number | undefined, headers: OutgoingHttpHeaders, extra: OutgoingHttpHeaders | undefined): [string, string][] {
  const fields: [string, string][] = [];
  if (status !== undefined) fields.push([":status", String(status)]);
  for (const source of extra === undefined ? [headers] : [headers, extra]) {
    for (const name in source) {
      if (name === ":status") continue;
      const value = source[name];
      if (value === undefined) continue;
      fields.push([name.toLowerCase(), Array.isArray(value) ? value.join(", ") : String(value)]);
    }
  }
  return fields;
}

/**
 * HTTP/1.1 for the edge's own calls, without node:http's per-request machinery: the plain
 * requests every unary call is (origin-form target, `content-length` or no body, no
 * `transfer-encoding`, `expect` or `upgrade`) are parsed and answered here, each answer one
 * write. Anything else — a WebSocket upgrade, a chunked upload, `expect: 100-continue`, HEAD,
 * HTTP/1.0 — hands the whole connection, bytes already read included, to node's HTTP server for
 * the rest of its life, once every answer due on it has been written.
 *
 *   bytes ──▶ request head ──plain──▶ H1Exchange ──▶ onRequest ──▶ answers in request order
 *                         ├─other──▶ handOver(socket, bytes) ──▶ node:http (upgrades, chunked, …)
 *                         └─refused (h1-head: smuggling, limits) ──▶ 4xx/501, closed
 *
 * Bounded (`H1Limits`): the head's bytes and fields; a body declared past `maxBodyBytes` (413
 * before reading it); a body is read only as its consumer takes it; requests read ahead of their
 * answers (pipelining: reading pauses at `maxPipelinedRequests`, or while the socket holds an
 * answer the client has not taken); and time, checked by the shared `ConnectionSweeper` — a head
 * slower than `headersTimeoutMs` or a request slower than `requestTimeoutMs` is answered 408,
 * an idle keep-alive connection closes after `idleTimeoutMs`, and one whose client takes none of
 * its answers and sends nothing for `stallTimeoutMs` is cut.
 */
import type { Socket } from "node:net";
import type { ConnectionSweeper, Sweepable } from "../connection-sweeper.js";
import { H1Exchange } from "./h1-exchange.js";
import { parseHead, refused } from "./h1-head.js";
import type { H1Limits } from "./h1-limits.js";

/** Hands a connection to node's HTTP server, with the bytes read from it so far. */
export type HandOver = (socket: Socket, read: Buffer) => void;

const HEAD_END = Buffer.from("\r\n\r\n", "latin1");
/** Reading pauses while the socket holds more than this of answers the client has not taken. */
const ANSWER_BUFFER_BYTES = 64 * 1024;
/** Why reading the socket is paused (a bit each). */
const PAUSED_BY_BODY = 1;
const PAUSED_BY_PIPELINE = 2;

/** One HTTP/1.1 connection handled by the edge. */
export class H1Connection implements Sweepable {
  readonly #socket: Socket;
  readonly #onRequest: (exchange: H1Exchange) => void;
  readonly #handOver: HandOver;
  readonly #limits: H1Limits;
  readonly #sweeper: ConnectionSweeper;
  /** Bytes read and not parsed yet; a head in progress grows in `#store` (doubling), so a trickled head is copied O(n) times, not O(n²). */
  #input: Buffer | undefined;
  #store: Buffer | undefined;
  /** How much of `#input` was searched for the head's end already. */
  #scanned = 0;
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
  #paused = 0;
  /** When the request being read began (sweeper time), and whether its head is in; undefined: none in progress. */
  #requestSince: number | undefined;
  #headDone = false;
  /** Bytes came since the last sweep; since when nothing has been in progress. */
  #active = false;
  #idleSince: number;
  /** Bytes the socket had sent on at the last sweep, and when that last changed or the client last sent. */
  #flushed = 0;
  #movedAt: number;
  readonly #onGone: () => void;

  /** `onGone`: the connection closed, or went to node's server. */
  constructor(socket: Socket, onRequest: (exchange: H1Exchange) => void, handOver: HandOver, limits: H1Limits, sweeper: ConnectionSweeper, onGone: () => void) {
    this.#socket = socket;
    this.#onRequest = onRequest;
    this.#handOver = handOver;
    this.#limits = limits;
    this.#sweeper = sweeper;
    this.#onGone = onGone;
    // its first request is counted from the connection's start: a client that says nothing is a slow head
    this.#requestSince = this.#idleSince = this.#movedAt = sweeper.now;
    sweeper.add(this);
    socket.setNoDelay?.(true);
    socket.on("data", this.#onData);
    socket.on("drain", this.#onDrain);
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
    if (this.#paused & PAUSED_BY_PIPELINE) this.#parse();
  }

  /** The body consumer paused or resumed: so does reading the socket. @internal */
  setPaused(paused: boolean): void {
    this.#pause(PAUSED_BY_BODY, paused);
  }

  /** Timeouts: a slow head or request (408), an idle keep-alive connection, a client that takes no answer. @internal */
  sweep(now: number): void {
    if (this.#closed) return;
    if (this.#stalled(now)) {
      // nothing can be said to a client that reads nothing
      this.#closed = true;
      this.#socket.destroy();
      return;
    }
    const since = this.#requestSince;
    if (since !== undefined) {
      if (!this.#headDone && now - since >= this.#limits.headersTimeoutMs) return this.#timedOut();
      if (now - since >= this.#limits.requestTimeoutMs) return this.#timedOut();
    }
    const idle = this.#answering.length === 0 && this.#reading === undefined && this.#input === undefined;
    if (!idle || this.#active) {
      this.#active = false;
      this.#idleSince = now;
    } else if (now - this.#idleSince >= this.#limits.idleTimeoutMs) {
      this.#end();
    }
  }

  /** Whether answers have waited in the socket `stallTimeoutMs` with none taken, and nothing came from the client. */
  #stalled(now: number): boolean {
    const socket = this.#socket;
    const flushed = socket.bytesWritten - socket.writableLength;
    if (socket.writableLength === 0 || this.#active || flushed !== this.#flushed) {
      this.#flushed = flushed;
      this.#movedAt = now;
      return false;
    }
    return now - this.#movedAt >= this.#limits.stallTimeoutMs;
  }

  readonly #onData = (chunk: Buffer): void => {
    if (this.#closed) return;
    this.#active = true;
    this.#append(chunk);
    this.#parse();
  };

  #append(chunk: Buffer): void {
    const input = this.#input;
    if (input === undefined || this.#reading !== undefined) {
      this.#input = input === undefined ? chunk : Buffer.concat([input, chunk]);
      return;
    }
    // a head in progress: grow it in place, doubling
    const length = input.length + chunk.length;
    let store = this.#store;
    if (store === undefined || store.byteOffset !== input.byteOffset || store.buffer !== input.buffer || store.length < length) {
      store = this.#store = Buffer.allocUnsafe(Math.max(2 * length, 4096));
      input.copy(store);
    }
    chunk.copy(store, input.length);
    this.#input = store.subarray(0, length);
  }

  #parse(): void {
    let input = this.#input;
    this.#input = undefined;
    while (input !== undefined && input.length > 0 && !this.#closed && this.#handing === undefined) {
      if (this.#reading !== undefined) {
        const take = Math.min(this.#bodyLeft, input.length);
        const exchange = this.#reading;
        this.#bodyLeft -= take;
        if (this.#bodyLeft === 0) this.#requestDone();
        exchange.bodyIn(input.subarray(0, take), this.#bodyLeft === 0);
        input = take === input.length ? undefined : input.subarray(take);
        continue;
      }
      if (this.#answering.length >= this.#limits.maxPipelinedRequests || this.#socket.writableLength > ANSWER_BUFFER_BYTES) {
        // read no further ahead of the answers: the rest waits, and so does the socket
        this.#pause(PAUSED_BY_PIPELINE, true);
        break;
      }
      this.#pause(PAUSED_BY_PIPELINE, false);
      this.#requestSince ??= this.#sweeper.now;
      const end = input.indexOf(HEAD_END, Math.max(0, this.#scanned - 3));
      if (end < 0) {
        if (input.length > this.#limits.maxHeadBytes) return this.#refuse(431, "Request Header Fields Too Large");
        this.#scanned = input.length;
        break;
      }
      this.#scanned = 0;
      this.#store = undefined; // what follows the head may be handed on as a body: never written over
      if (end > this.#limits.maxHeadBytes) return this.#refuse(431, "Request Header Fields Too Large");
      const head = parseHead(input.toString("latin1", 0, end), this.#limits.maxHeaderCount);
      if (refused(head)) return this.#refuse(head.status, REFUSALS[head.status]);
      if (!head.plain) {
        // the rest of this connection is node's: after every answer we owe on it
        this.#handing = input;
        this.#socket.pause();
        if (this.#answering.length === 0 && this.#reading === undefined) this.#handOverNow();
        return;
      }
      if (head.contentLength > this.#limits.maxBodyBytes) return this.#refuse(413, "Content Too Large");
      input = end + 4 === input.length ? undefined : input.subarray(end + 4);
      this.#headDone = true;
      const exchange = new H1Exchange(this, head.method, head.target, head.headers, head.keepAlive);
      this.#answering.push(exchange);
      if (head.contentLength > 0) {
        this.#reading = exchange;
        this.#bodyLeft = head.contentLength;
      } else {
        this.#requestDone();
      }
      this.#onRequest(exchange);
      if (head.contentLength === 0) exchange.bodyIn(EMPTY, true);
    }
    if (input !== undefined && input.length > 0) this.#input = input;
  }

  #requestDone(): void {
    this.#reading = undefined;
    this.#requestSince = undefined;
    this.#headDone = false;
  }

  #pause(reason: number, paused: boolean): void {
    const before = this.#paused;
    this.#paused = paused ? before | reason : before & ~reason;
    if (this.#handing !== undefined || this.#closed) return;
    if (before === 0 && this.#paused !== 0) this.#socket.pause();
    else if (before !== 0 && this.#paused === 0) this.#socket.resume();
  }

  readonly #onDrain = (): void => {
    if (this.#paused & PAUSED_BY_PIPELINE) this.#parse();
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

  /** A request too slow: 408 when nothing is being answered on the connection, else it just closes. */
  #timedOut(): void {
    const answering = this.#answering;
    if (answering.length === 0 || (answering.length === 1 && answering[0] === this.#reading && !this.#reading.responded)) return this.#refuse(408, "Request Timeout");
    this.#closed = true;
    this.#socket.destroy();
  }

  /** Answers a request the edge will not serve and closes the connection. */
  #refuse(status: number, reason: string | undefined): void {
    this.#closed = true;
    this.#input = undefined;
    this.#socket.end(`HTTP/1.1 ${status} ${reason ?? "Bad Request"}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
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

  readonly #onSocketClose = (): void => {
    this.#closed = true;
    this.#sweeper.delete(this);
    this.#abortAll();
    this.#onGone();
  };

  #abortAll(): void {
    for (const exchange of this.#answering.splice(0)) exchange.socketClosed();
    this.#reading = undefined;
  }

  /** Stops listening to the socket (it is node's now). */
  #detach(): void {
    this.#sweeper.delete(this);
    this.#socket.off("data", this.#onData);
    this.#socket.off("drain", this.#onDrain);
    this.#socket.off("end", this.#onEnd);
    this.#socket.off("close", this.#onSocketClose);
  }
}

const REFUSALS: Record<number, string> = { 400: "Bad Request", 431: "Request Header Fields Too Large", 501: "Not Implemented" };
const EMPTY = Buffer.alloc(0);

/**
 * The server side of one HTTP/2 connection (RFC 9113), as small as the edge needs: frames in,
 * streams out as `H2Stream` exchanges, frames written once per turn (`H2Output`). No server push,
 * no priorities (PRIORITY frames are checked and ignored), no dynamic table in what we send.
 *
 *   socket ──▶ FrameInput ──▶ H2FrameReader (RFC 9113's rules) ──▶ open(): new H2Stream ──▶ onStream(exchange)
 *                                                             ──▶ DATA into a stream's body (WINDOW_UPDATE
 *                                                                 only as the body's consumer takes it)
 *   H2Stream writes ──▶ DATA within the peer's windows, the rest waits for WINDOW_UPDATE
 *
 * A frame a client may not send is a stream error (RST_STREAM, that stream only) or a connection
 * error (GOAWAY, then the connection closes). Everything a client can make the edge hold or do
 * is bounded (`H2Limits`): streams, header blocks, resets and wasted frames (`ResetBudget`),
 * ACKs owed and bytes held (`H2Output`), and time — no SETTINGS ACK, idleness, a client that
 * neither reads nor sends — checked by the shared `ConnectionSweeper`.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { Socket } from "node:net";
import type { ConnectionSweeper, Sweepable } from "../connection-sweeper.js";
import { HpackError } from "./hpack.js";
import { H2FrameReader, type FrameReaderHost } from "./h2-frame-reader.js";
import { ConnectionError, END_HEADERS, END_STREAM, FrameType, H2Code, MAX_FRAME, StreamError } from "./h2-frames.js";
import { FrameInput } from "./h2-input.js";
import type { H2Limits } from "./h2-limits.js";
import { H2Output } from "./h2-output.js";
import { ourSettings, type PeerSettings } from "./h2-settings.js";
import { H2Stream } from "./h2-stream.js";
import { ResetBudget } from "./reset-budget.js";

const DEFAULT_WINDOW = 65_535;
const MAX_WINDOW = 0x7fff_ffff;
/** After GOAWAY, how long a client may take to close before the edge closes the socket itself. */
const CLOSE_GRACE_MS = 2000;

/** One HTTP/2 connection, server side. */
export class H2Connection implements Sweepable, FrameReaderHost {
  readonly #socket: Socket;
  readonly #onStream: (stream: H2Stream) => void;
  readonly #limits: H2Limits;
  readonly #sweeper: ConnectionSweeper;
  readonly #onClose: () => void;
  readonly #input: FrameInput;
  readonly #reader: H2FrameReader;
  readonly #output: H2Output;
  readonly #resets: ResetBudget;
  readonly #streams = new Map<number, H2Stream>();
  /** Streams with DATA waiting for connection-level window (or the socket). */
  readonly #waiting = new Set<H2Stream>();
  #closed = false;
  #closedAt = 0;
  #goingAway = false;
  readonly #openedAt: number;
  /** Since when the connection has had no stream open (sweeper time): PINGs and trickled frames do not make it busy. */
  #streamlessSince: number;
  /** Bytes came from the client since the last sweep; when bytes last came or left; bytes the socket has sent on. */
  #active = true;
  #activeAt: number;
  #flushed = 0;
  /** Consumed bytes not yet given back to the client's connection window. */
  #recvConsumed = 0;
  /** What we may still send on the connection, and each new stream's initial window (the peer's settings). */
  sendWindow = DEFAULT_WINDOW;
  peerInitialWindow = DEFAULT_WINDOW;
  peerMaxFrame = MAX_FRAME;

  constructor(socket: Socket, onStream: (stream: H2Stream) => void, limits: H2Limits, sweeper: ConnectionSweeper, onClose: () => void) {
    this.#socket = socket;
    this.#onStream = onStream;
    this.#limits = limits;
    this.#sweeper = sweeper;
    this.#onClose = onClose;
    this.#input = new FrameInput(MAX_FRAME, this.#onFrame);
    this.#reader = new H2FrameReader(this, limits.maxHeaderListBytes, limits.connectionWindowBytes);
    this.#output = new H2Output(socket, limits.maxSocketBufferBytes, limits.maxConnectionBufferBytes, (message) => this.#fail(H2Code.ENHANCE_YOUR_CALM, message));
    this.#resets = new ResetBudget(limits.maxResetBurst, limits.maxResetsPerSecond);
    this.#openedAt = this.#activeAt = this.#streamlessSince = sweeper.now;
    sweeper.add(this);
    socket.setNoDelay?.(true);
    socket.on("data", this.#onData);
    socket.on("close", this.#onSocketClose);
    socket.on("end", () => this.close()); // the client will send nothing more
    socket.on("error", () => undefined); // "close" follows
    socket.on("drain", this.#onSocketDrain);
    this.frame(FrameType.SETTINGS, 0, 0, ourSettings(limits.maxConcurrentStreams, limits.streamWindowBytes, limits.maxHeaderListBytes));
    if (limits.connectionWindowBytes > DEFAULT_WINDOW) this.windowUpdate(0, limits.connectionWindowBytes - DEFAULT_WINDOW);
    // the socket may hold bytes already read by the protocol sniffer and put back
    socket.resume();
  }

  /** Whether the socket holds more than the edge lets a slow client cost. */
  get socketBlocked(): boolean {
    return this.#output.socketBlocked;
  }

  /** Everything the connection holds for its client, in bytes. */
  get heldBytes(): number {
    return this.#output.heldBytes;
  }

  /** The largest response a stream may have waiting for the client's window. */
  get maxStreamBufferBytes(): number {
    return this.#limits.maxStreamBufferBytes;
  }

  /** Ends the connection: GOAWAY (`code`), then the socket closes (at once if the client does not take it). */
  close(code: H2Code = H2Code.NO_ERROR, message = ""): void {
    if (this.#closed) return;
    const payload = Buffer.alloc(8 + Buffer.byteLength(message));
    payload.writeUInt32BE(this.#reader.lastStreamId, 0);
    payload.writeUInt32BE(code, 4);
    payload.write(message, 8);
    this.frame(FrameType.GOAWAY, 0, 0, payload);
    this.#output.end();
    this.#closed = true;
    this.#closedAt = this.#sweeper.now;
    this.#socket.end();
  }

  frame(type: FrameType, flags: number, streamId: number, payload: Uint8Array | undefined): void {
    this.#output.frame(type, flags, streamId, payload);
  }

  /** A header block as HEADERS (+ CONTINUATION when longer than a frame). */
  headers(streamId: number, block: Buffer, endStream: boolean): void {
    const max = this.peerMaxFrame;
    if (block.length <= max) return this.frame(FrameType.HEADERS, END_HEADERS | (endStream ? END_STREAM : 0), streamId, block);
    this.frame(FrameType.HEADERS, endStream ? END_STREAM : 0, streamId, block.subarray(0, max));
    for (let at = max; at < block.length; at += max) {
      this.frame(FrameType.CONTINUATION, at + max >= block.length ? END_HEADERS : 0, streamId, block.subarray(at, at + max));
    }
  }

  windowUpdate(streamId: number, increment: number): void {
    const payload = Buffer.allocUnsafe(4);
    payload.writeUInt32BE(increment, 0);
    this.frame(FrameType.WINDOW_UPDATE, 0, streamId, payload);
  }

  resetStream(streamId: number, code: H2Code): void {
    const payload = Buffer.allocUnsafe(4);
    payload.writeUInt32BE(code, 0);
    this.frame(FrameType.RST_STREAM, 0, streamId, payload);
  }

  /** The body consumer took `bytes` of DATA: give the connection window back in halves. */
  consumed(bytes: number): void {
    this.#recvConsumed += bytes;
    if (this.#recvConsumed * 2 >= this.#limits.connectionWindowBytes) {
      this.windowUpdate(0, this.#recvConsumed);
      this.#reader.granted(this.#recvConsumed);
      this.#recvConsumed = 0;
    }
  }

  /** Response bytes waiting in a stream changed by `delta`. */
  waiting(delta: number): void {
    this.#output.waiting(delta);
  }

  /** `stream` has DATA but no connection window (or the socket is full): pump it when that changes. */
  wait(stream: H2Stream): void {
    this.#waiting.add(stream);
  }

  /** A stream is over (ended both ways, or reset). */
  forget(stream: H2Stream): void {
    if (this.#streams.delete(stream.id)) {
      this.#output.headerBytes -= stream.headerBytes;
      if (this.#streams.size === 0) this.#streamlessSince = this.#sweeper.now;
    }
    this.#waiting.delete(stream);
    if (this.#goingAway && this.#streams.size === 0) this.close();
  }

  /** @internal */
  stream(id: number): H2Stream | undefined {
    return this.#streams.get(id);
  }

  /** A request's stream, unless the connection is at its bounds (REFUSED_STREAM: the client may retry it). @internal */
  open(id: number, headers: IncomingHttpHeaders, headerBytes: number, endStream: boolean): void {
    if (this.#streams.size >= this.#limits.maxConcurrentStreams) throw new StreamError(id, H2Code.REFUSED_STREAM, "too many streams");
    if (this.#output.heldBytes + headerBytes > this.#limits.maxConnectionBufferBytes) throw new StreamError(id, H2Code.REFUSED_STREAM, "the connection holds too much");
    const stream = new H2Stream(this, id, headers, headerBytes, this.#limits.streamWindowBytes);
    this.#streams.set(id, stream);
    this.#output.headerBytes += headerBytes;
    this.#onStream(stream);
    if (endStream) stream.remoteEnd();
  }

  /** A request whose header list is past SETTINGS_MAX_HEADER_LIST_SIZE: 431 (RFC 9113 §10.5.1), not handed on. @internal */
  tooLarge(id: number, endStream: boolean): void {
    this.spend();
    const stream = new H2Stream(this, id, {}, 0, this.#limits.streamWindowBytes);
    this.#streams.set(id, stream);
    if (endStream) stream.remoteEnd();
    stream.reply(431, { "content-type": "text/plain" }, `header list over ${this.#limits.maxHeaderListBytes} bytes\n`);
  }

  /** Takes a reset token; throws ConnectionError ENHANCE_YOUR_CALM past the bound. @internal */
  spend(): void {
    if (!this.#resets.take()) throw new ConnectionError(H2Code.ENHANCE_YOUR_CALM, "too many streams reset or refused, or empty frames");
  }

  /** @internal */
  ack(type: FrameType, payload: Uint8Array | undefined): void {
    this.#output.ack(type, payload);
  }

  /**
   * The client's SETTINGS: its initial window applies to every open stream. A change while
   * streams are open costs a reset token: each one walks every stream (a flood of them costs the
   * edge O(streams) per 15-byte frame). @internal
   */
  settings(settings: PeerSettings): void {
    if (settings.maxFrame !== undefined) this.peerMaxFrame = settings.maxFrame;
    if (settings.initialWindow === undefined) return;
    const delta = settings.initialWindow - this.peerInitialWindow;
    if (delta !== 0 && this.#streams.size > 0) this.spend();
    this.peerInitialWindow = settings.initialWindow;
    for (const stream of this.#streams.values()) {
      if (!stream.windowDelta(delta)) throw new ConnectionError(H2Code.FLOW_CONTROL_ERROR, "INITIAL_WINDOW_SIZE takes a stream window past 2^31-1");
    }
  }

  /** WINDOW_UPDATE for the connection. @internal */
  windowUpdateIn(increment: number): void {
    this.sendWindow += increment;
    if (this.sendWindow > MAX_WINDOW) throw new ConnectionError(H2Code.FLOW_CONTROL_ERROR, "connection window past 2^31-1");
    this.#pumpWaiting();
  }

  /** The client sent GOAWAY: no new streams; the connection closes when the last one ends. @internal */
  goingAway(): void {
    this.#goingAway = true;
    if (this.#streams.size === 0) this.close();
  }

  /**
   * Timeouts: the client's SETTINGS ACK; idleness, counted from the last stream's end, whatever
   * the client sends meanwhile (PINGs, a header block trickled a byte at a time: slowloris); a
   * client that neither reads nor sends while streams are open. @internal
   */
  sweep(now: number): void {
    if (this.#closed) {
      if (now - this.#closedAt >= Math.min(CLOSE_GRACE_MS, this.#limits.idleTimeoutMs)) this.#socket.destroy();
      return;
    }
    if (!this.#reader.settingsAcked && now - this.#openedAt >= this.#limits.settingsTimeoutMs) return this.#fail(H2Code.SETTINGS_TIMEOUT, "no SETTINGS ACK");
    if (this.#streams.size === 0 && now - this.#streamlessSince >= this.#limits.idleTimeoutMs) return this.close(H2Code.NO_ERROR, "idle");
    const socket = this.#socket;
    const flushed = socket.bytesWritten - socket.writableLength;
    if (this.#active || flushed !== this.#flushed) {
      this.#active = false;
      this.#flushed = flushed;
      this.#activeAt = now;
      return;
    }
    if (now - this.#activeAt < this.#limits.idleTimeoutMs || this.#streams.size === 0) return;
    // streams open and the client silent: fine while the edge has nothing for it (a call in
    // progress); not while what the edge holds for it goes nowhere (it does not read either)
    if (socket.writableLength > 0 || this.#output.waitingBytes > 0) {
      this.#fail(H2Code.ENHANCE_YOUR_CALM, "neither reading nor sending");
      socket.destroy();
    }
  }

  readonly #onData = (chunk: Buffer): void => {
    if (this.#closed) return;
    this.#active = true;
    try {
      this.#input.push(chunk);
    } catch (error) {
      const code = error instanceof ConnectionError ? error.code : error instanceof HpackError ? H2Code.COMPRESSION_ERROR : H2Code.INTERNAL_ERROR;
      this.#fail(code, (error as Error).message);
    }
  };

  readonly #onFrame = (type: number, flags: number, streamId: number, payload: Buffer): boolean => {
    try {
      this.#reader.frame(type, flags, streamId, payload);
    } catch (error) {
      if (!(error instanceof StreamError)) throw error;
      this.#streamError(error);
    }
    return !this.#closed;
  };

  /** A stream error: RST_STREAM, the stream closed; it costs the client a reset token. */
  #streamError(error: StreamError): void {
    const stream = this.#streams.get(error.streamId);
    if (stream !== undefined) stream.fail(error.code);
    else this.resetStream(error.streamId, error.code);
    try {
      this.spend();
    } catch (calm) {
      this.#fail(H2Code.ENHANCE_YOUR_CALM, (calm as Error).message);
    }
  }

  #pumpWaiting(): void {
    for (const stream of this.#waiting) {
      if (this.sendWindow <= 0 || this.#output.socketBlocked) return;
      this.#waiting.delete(stream);
      stream.pump();
    }
  }

  readonly #onSocketDrain = (): void => {
    this.#output.drained();
    this.#pumpWaiting();
  };

  #fail(code: H2Code, message: string): void {
    this.close(code, message);
    this.#abortAll();
  }

  readonly #onSocketClose = (): void => {
    this.#closed = true;
    this.#sweeper.delete(this);
    this.#abortAll();
    this.#onClose();
  };

  #abortAll(): void {
    for (const stream of [...this.#streams.values()]) stream.resetByPeer(H2Code.CANCEL);
    this.#streams.clear();
    this.#waiting.clear();
  }
}

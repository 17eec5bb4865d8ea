/**
 * The server side of one HTTP/2 connection (RFC 9113), as small as the edge needs: frames in,
 * streams out as `H2Stream` exchanges, frames written once per turn (`H2Output`). No server push,
 * no priorities (PRIORITY frames are checked and ignored), no dynamic table in what we send.
 *
 *   socket ──▶ FrameInput ──HEADERS(+CONTINUATION: HeaderBlock)──▶ new H2Stream ──▶ onStream(exchange)
 *                         ──DATA──▶ stream body (WINDOW_UPDATE only as the body's consumer takes it)
 *                         ──SETTINGS/PING/WINDOW_UPDATE/RST_STREAM/GOAWAY/PRIORITY: handled here
 *   H2Stream writes ──▶ DATA within the peer's windows, the rest waits for WINDOW_UPDATE
 *
 * A frame a client may not send is a stream error (RST_STREAM, that stream only) or a connection
 * error (GOAWAY, then the connection closes) as RFC 9113 says. Everything a client can make the
 * edge hold or do is bounded (`H2Limits`): streams, header blocks, resets and wasted frames
 * (`ResetBudget`), ACKs owed and bytes held (`H2Output`), and time — no SETTINGS ACK, idleness,
 * a client that neither reads nor sends — checked by the shared `ConnectionSweeper`.
 */
import type { Socket } from "node:net";
import type { ConnectionSweeper, Sweepable } from "../connection-sweeper.js";
import { HpackDecoder, HpackError } from "./hpack.js";
import { ConnectionError, END_HEADERS, END_STREAM, FrameType, H2Code, MAX_FRAME, StreamError, unpad } from "./h2-frames.js";
import { HeaderBlock, readHeadersPayload } from "./h2-header-block.js";
import { FrameInput } from "./h2-input.js";
import type { H2Limits } from "./h2-limits.js";
import { H2Output } from "./h2-output.js";
import { requestHeaders, trailersProblem } from "./h2-request-fields.js";
import { ourSettings, readSettings } from "./h2-settings.js";
import { H2Stream } from "./h2-stream.js";
import { ResetBudget } from "./reset-budget.js";

const DEFAULT_WINDOW = 65_535;
const MAX_WINDOW = 0x7fff_ffff;
/** After GOAWAY, how long a client may take to close before the edge closes the socket itself. */
const CLOSE_GRACE_MS = 2000;

/** One HTTP/2 connection, server side. */
export class H2Connection implements Sweepable {
  readonly #socket: Socket;
  readonly #onStream: (stream: H2Stream) => void;
  readonly #limits: H2Limits;
  readonly #sweeper: ConnectionSweeper;
  readonly #onClose: () => void;
  readonly #decoder = new HpackDecoder();
  readonly #input: FrameInput;
  readonly #output: H2Output;
  readonly #resets: ResetBudget;
  readonly #streams = new Map<number, H2Stream>();
  /** Streams with DATA waiting for connection-level window (or the socket). */
  readonly #waiting = new Set<H2Stream>();
  #lastStreamId = 0;
  /** A header block in progress (HEADERS without END_HEADERS, then CONTINUATIONs). */
  #block: HeaderBlock | undefined;
  #closed = false;
  #closedAt = 0;
  #goingAway = false;
  /** The client's first SETTINGS has come; it has acknowledged ours. */
  #settingsSeen = false;
  #settingsAcked = false;
  readonly #openedAt: number;
  /** Bytes came from the client since the last sweep; when it last did. */
  #active = true;
  #activeAt: number;
  /** What the peer may still send on the connection; consumed bytes not yet given back. */
  #recvWindow: number;
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
    this.#recvWindow = limits.connectionWindowBytes;
    this.#input = new FrameInput(MAX_FRAME, this.#onFrame);
    this.#output = new H2Output(socket, limits.maxSocketBufferBytes, limits.maxConnectionBufferBytes, (message) => this.#fail(H2Code.ENHANCE_YOUR_CALM, message));
    this.#resets = new ResetBudget(limits.maxResetBurst, limits.maxResetsPerSecond);
    this.#openedAt = this.#activeAt = sweeper.now;
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

  /** Streams open now. */
  get streams(): number {
    return this.#streams.size;
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
    payload.writeUInt32BE(this.#lastStreamId, 0);
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
      this.#recvWindow += this.#recvConsumed;
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
    if (this.#streams.delete(stream.id)) this.#output.headerBytes -= stream.headerBytes;
    this.#waiting.delete(stream);
    if (this.#goingAway && this.#streams.size === 0) this.close();
  }

  /** Timeouts: the client's SETTINGS ACK, idleness, a client that neither reads nor sends. @internal */
  sweep(now: number): void {
    if (this.#closed) {
      if (now - this.#closedAt >= Math.min(CLOSE_GRACE_MS, this.#limits.idleTimeoutMs)) this.#socket.destroy();
      return;
    }
    if (!this.#settingsAcked && now - this.#openedAt >= this.#limits.settingsTimeoutMs) return this.#fail(H2Code.SETTINGS_TIMEOUT, "no SETTINGS ACK");
    if (this.#active) {
      this.#active = false;
      this.#activeAt = now;
      return;
    }
    if (now - this.#activeAt < this.#limits.idleTimeoutMs) return;
    if (this.#streams.size === 0) return this.close(H2Code.NO_ERROR, "idle");
    // streams open and the client silent: fine while the edge has nothing for it (a call in
    // progress); not while what the edge holds for it goes nowhere (it does not read either)
    if (this.#socket.writableLength > 0 || this.#output.waitingBytes > 0) {
      this.#fail(H2Code.ENHANCE_YOUR_CALM, "neither reading nor sending");
      this.#socket.destroy();
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
      this.#frameIn(type, flags, streamId, payload);
    } catch (error) {
      if (!(error instanceof StreamError)) throw error;
      this.#streamError(error);
    }
    return !this.#closed;
  };

  #frameIn(type: number, flags: number, streamId: number, payload: Buffer): void {
    if (this.#block !== undefined && type !== FrameType.CONTINUATION) throw new ConnectionError(H2Code.PROTOCOL_ERROR, "a header block was interrupted");
    if (!this.#settingsSeen) {
      if (type !== FrameType.SETTINGS || (flags & 0x1) !== 0) throw new ConnectionError(H2Code.PROTOCOL_ERROR, "the first frame must be SETTINGS");
      this.#settingsSeen = true;
    }
    switch (type) {
      case FrameType.DATA:
        return this.#dataIn(flags, streamId, payload);
      case FrameType.HEADERS:
        return this.#headersIn(flags, streamId, payload);
      case FrameType.CONTINUATION: {
        const block = this.#block;
        if (block === undefined) throw new ConnectionError(H2Code.PROTOCOL_ERROR, "CONTINUATION out of place");
        const whole = block.continuation(flags, streamId, payload);
        if (whole === undefined) return;
        this.#block = undefined;
        return this.#headerBlock(block.streamId, whole, block.endStream, block.dependsOn);
      }
      case FrameType.SETTINGS:
        return this.#settingsIn(flags, streamId, payload);
      case FrameType.WINDOW_UPDATE:
        return this.#windowUpdateIn(streamId, payload);
      case FrameType.PING:
        if (streamId !== 0) throw new ConnectionError(H2Code.PROTOCOL_ERROR, "PING on a stream");
        if (payload.length !== 8) throw new ConnectionError(H2Code.FRAME_SIZE_ERROR, "PING of the wrong size");
        if ((flags & 0x1) === 0) this.#output.ack(FrameType.PING, Buffer.from(payload));
        return;
      case FrameType.RST_STREAM:
        return this.#resetIn(streamId, payload);
      case FrameType.GOAWAY:
        if (streamId !== 0) throw new ConnectionError(H2Code.PROTOCOL_ERROR, "GOAWAY on a stream");
        if (payload.length < 8) throw new ConnectionError(H2Code.FRAME_SIZE_ERROR, "GOAWAY too short");
        this.#goingAway = true;
        if (this.#streams.size === 0) this.close();
        return;
      case FrameType.PRIORITY:
        // deprecated (RFC 9113 §5.3.2): checked, never kept, so a flood of them costs nothing
        if (streamId === 0) throw new ConnectionError(H2Code.PROTOCOL_ERROR, "PRIORITY on stream 0");
        if (payload.length !== 5) throw new StreamError(streamId, H2Code.FRAME_SIZE_ERROR, "PRIORITY of the wrong size");
        if ((payload.readUInt32BE(0) & MAX_WINDOW) === streamId) throw new StreamError(streamId, H2Code.PROTOCOL_ERROR, "a stream depending on itself");
        return;
      case FrameType.PUSH_PROMISE:
        throw new ConnectionError(H2Code.PROTOCOL_ERROR, "a client may not push");
      default:
      // unknown frame types are ignored (RFC 9113 §5.5)
    }
  }

  /** Whether `streamId` is idle: never opened by the client (even ids are the server's, and the edge pushes nothing). */
  #idle(streamId: number): boolean {
    return (streamId & 1) === 0 || streamId > this.#lastStreamId;
  }

  #headersIn(flags: number, streamId: number, payload: Buffer): void {
    if (streamId === 0 || (streamId & 1) === 0) throw new ConnectionError(H2Code.PROTOCOL_ERROR, "HEADERS on an even or zero stream");
    const read = readHeadersPayload(flags, payload);
    if ((flags & END_HEADERS) === 0) {
      this.#block = new HeaderBlock(streamId, flags, read, this.#limits.maxHeaderListBytes);
      return;
    }
    if (read.fragment.length > this.#limits.maxHeaderListBytes) throw new ConnectionError(H2Code.ENHANCE_YOUR_CALM, `header block over ${this.#limits.maxHeaderListBytes} bytes`);
    this.#headerBlock(streamId, read.fragment, (flags & END_STREAM) !== 0, read.dependsOn);
  }

  #headerBlock(streamId: number, block: Buffer, endStream: boolean, dependsOn: number): void {
    // decoded whatever happens to the stream: the dynamic table must stay in step with the peer's
    const decoder = this.#decoder;
    const maxList = this.#limits.maxHeaderListBytes;
    const fields = decoder.decode(block, maxList);
    const existing = this.#streams.get(streamId);
    if (existing !== undefined) {
      if (existing.remoteEnded) throw new StreamError(streamId, H2Code.STREAM_CLOSED, "HEADERS after END_STREAM");
      if (!endStream) throw new StreamError(streamId, H2Code.PROTOCOL_ERROR, "trailers without END_STREAM");
      const problem = decoder.malformed ?? trailersProblem(fields);
      if (problem !== undefined) throw new StreamError(streamId, H2Code.PROTOCOL_ERROR, problem);
      existing.remoteEnd();
      return;
    }
    if (streamId <= this.#lastStreamId) {
      // trailers of a stream already closed (the edge may have answered and reset it first) are
      // discarded; opening a stream again, or one below the last, is a connection error
      if (endStream) return;
      throw new ConnectionError(H2Code.PROTOCOL_ERROR, `stream ${streamId} reused`);
    }
    this.#lastStreamId = streamId;
    if (this.#goingAway) return;
    if (dependsOn === streamId) throw new StreamError(streamId, H2Code.PROTOCOL_ERROR, "a stream depending on itself");
    if (decoder.listBytes > maxList) return this.#tooLarge(streamId, endStream);
    const headers = decoder.malformed ?? requestHeaders(fields);
    if (typeof headers === "string") throw new StreamError(streamId, H2Code.PROTOCOL_ERROR, headers);
    if (this.#streams.size >= this.#limits.maxConcurrentStreams) throw new StreamError(streamId, H2Code.REFUSED_STREAM, "too many streams");
    if (this.#output.heldBytes + decoder.listBytes > this.#limits.maxConnectionBufferBytes) throw new StreamError(streamId, H2Code.REFUSED_STREAM, "the connection holds too much");
    const stream = new H2Stream(this, streamId, headers, decoder.listBytes, this.#limits.streamWindowBytes);
    this.#streams.set(streamId, stream);
    this.#output.headerBytes += decoder.listBytes;
    this.#onStream(stream);
    if (endStream) stream.remoteEnd();
  }

  /** A request whose header list is past SETTINGS_MAX_HEADER_LIST_SIZE: 431 (RFC 9113 §10.5.1), not handed on. */
  #tooLarge(streamId: number, endStream: boolean): void {
    this.#spend();
    const stream = new H2Stream(this, streamId, {}, 0, this.#limits.streamWindowBytes);
    this.#streams.set(streamId, stream);
    if (endStream) stream.remoteEnd();
    stream.reply(431, { "content-type": "text/plain" }, `header list over ${this.#limits.maxHeaderListBytes} bytes\n`);
  }

  #dataIn(flags: number, streamId: number, payload: Buffer): void {
    if (streamId === 0) throw new ConnectionError(H2Code.PROTOCOL_ERROR, "DATA on stream 0");
    this.#recvWindow -= payload.length;
    if (this.#recvWindow < 0) throw new ConnectionError(H2Code.FLOW_CONTROL_ERROR, "the client sent past the connection window");
    const data = unpad(flags, payload);
    const stream = this.#streams.get(streamId);
    if (stream === undefined) {
      if (this.#idle(streamId)) throw new ConnectionError(H2Code.PROTOCOL_ERROR, `DATA on idle stream ${streamId}`);
      // a stream we have finished with: its bytes go back to the connection window at once
      this.consumed(payload.length);
      return;
    }
    const endStream = (flags & END_STREAM) !== 0;
    if (payload.length === 0 && !endStream) this.#spend(); // an empty frame does nothing but cost (CVE-2019-9518)
    // padding counts against the windows but is never read: consumed at once
    if (payload.length > data.length) {
      this.consumed(payload.length - data.length);
      stream.padding(payload.length - data.length);
    }
    stream.dataIn(data, endStream);
  }

  #settingsIn(flags: number, streamId: number, payload: Buffer): void {
    if (streamId !== 0) throw new ConnectionError(H2Code.PROTOCOL_ERROR, "SETTINGS on a stream");
    if (flags & 0x1) {
      if (payload.length !== 0) throw new ConnectionError(H2Code.FRAME_SIZE_ERROR, "SETTINGS ACK with a payload");
      this.#settingsAcked = true;
      return;
    }
    const settings = readSettings(payload);
    if (settings.maxFrame !== undefined) this.peerMaxFrame = settings.maxFrame;
    if (settings.initialWindow !== undefined) {
      const delta = settings.initialWindow - this.peerInitialWindow;
      this.peerInitialWindow = settings.initialWindow;
      for (const stream of this.#streams.values()) {
        if (!stream.windowDelta(delta)) throw new ConnectionError(H2Code.FLOW_CONTROL_ERROR, "INITIAL_WINDOW_SIZE takes a stream window past 2^31-1");
      }
    }
    this.#output.ack(FrameType.SETTINGS, undefined);
  }

  #windowUpdateIn(streamId: number, payload: Buffer): void {
    if (payload.length !== 4) throw new ConnectionError(H2Code.FRAME_SIZE_ERROR, "WINDOW_UPDATE of the wrong size");
    const increment = payload.readUInt32BE(0) & MAX_WINDOW;
    if (streamId !== 0) {
      const stream = this.#streams.get(streamId);
      if (stream !== undefined) stream.windowUpdate(increment);
      else if (this.#idle(streamId)) throw new ConnectionError(H2Code.PROTOCOL_ERROR, `WINDOW_UPDATE on idle stream ${streamId}`);
      return;
    }
    if (increment === 0) throw new ConnectionError(H2Code.PROTOCOL_ERROR, "WINDOW_UPDATE of 0");
    this.sendWindow += increment;
    if (this.sendWindow > MAX_WINDOW) throw new ConnectionError(H2Code.FLOW_CONTROL_ERROR, "connection window past 2^31-1");
    this.#pumpWaiting();
  }

  #resetIn(streamId: number, payload: Buffer): void {
    if (payload.length !== 4) throw new ConnectionError(H2Code.FRAME_SIZE_ERROR, "RST_STREAM of the wrong size");
    if (streamId === 0) throw new ConnectionError(H2Code.PROTOCOL_ERROR, "RST_STREAM on stream 0");
    const stream = this.#streams.get(streamId);
    if (stream === undefined) {
      if (this.#idle(streamId)) throw new ConnectionError(H2Code.PROTOCOL_ERROR, `RST_STREAM on idle stream ${streamId}`);
      return;
    }
    stream.resetByPeer(payload.readUInt32BE(0));
    this.#spend();
  }

  /** A stream error: RST_STREAM, the stream closed; it costs the client a reset token. */
  #streamError(error: StreamError): void {
    const stream = this.#streams.get(error.streamId);
    if (stream !== undefined) stream.fail(error.code);
    else this.resetStream(error.streamId, error.code);
    try {
      this.#spend();
    } catch (calm) {
      this.#fail(H2Code.ENHANCE_YOUR_CALM, (calm as Error).message);
    }
  }

  /** Takes a reset token; throws ConnectionError ENHANCE_YOUR_CALM past the bound. */
  #spend(): void {
    if (!this.#resets.take()) throw new ConnectionError(H2Code.ENHANCE_YOUR_CALM, "too many streams reset or refused, or empty frames");
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

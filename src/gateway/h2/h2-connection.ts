/**
 * The server side of one HTTP/2 connection (RFC 9113), as small as the edge needs: frames in,
 * streams out as `H2Stream` exchanges, and frames written once per turn (one `writev` for every
 * response produced by the same callback). No server push, no priorities (PRIORITY frames are
 * read and ignored), no dynamic table in what we send.
 *
 *   socket ──▶ frames ──HEADERS(+CONTINUATION)──▶ new H2Stream ──▶ onStream(exchange)
 *                      ──DATA──────────────────▶ stream body (flow-controlled: WINDOW_UPDATE
 *                                                  only as the body's consumer takes the bytes)
 *                      ──SETTINGS/PING/WINDOW_UPDATE/RST_STREAM/GOAWAY: handled here
 *   H2Stream writes ──▶ DATA within the peer's windows, the rest waits for WINDOW_UPDATE
 *
 * Bounded: header lists (`maxHeaderListBytes`), streams at once (`maxConcurrentStreams`: more
 * are refused), what a client may send unread (our stream and connection windows), and what the
 * socket may buffer towards a client that does not read (`maxSocketBufferBytes`).
 */
import type { Socket } from "node:net";
import { HpackDecoder, HpackError } from "./hpack.js";
import { ACK, ConnectionError, END_HEADERS, END_STREAM, FrameType, H2Code, MAX_FRAME, PRIORITY_FLAG, unpad } from "./h2-frames.js";
import { H2Stream } from "./h2-stream.js";

/** Settings of the edge's HTTP/2 connections. */
export interface H2ConnectionOptions {
  maxConcurrentStreams: number;
  /** Our SETTINGS_INITIAL_WINDOW_SIZE: what a client may send on a stream before the edge reads it. */
  streamWindowBytes: number;
  /** What a client may send on the connection before the edge reads it. */
  connectionWindowBytes: number;
  /** Our SETTINGS_MAX_HEADER_LIST_SIZE. */
  maxHeaderListBytes: number;
  /** Past this much buffered in the socket (a client not reading), DATA waits for the socket to drain. */
  maxSocketBufferBytes: number;
}

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");
const DEFAULT_WINDOW = 65_535;
const MAX_WINDOW = 0x7fff_ffff;

/** One HTTP/2 connection, server side. */
export class H2Connection {
  readonly #socket: Socket;
  readonly #onStream: (stream: H2Stream) => void;
  readonly #options: H2ConnectionOptions;
  readonly #decoder = new HpackDecoder();
  readonly #streams = new Map<number, H2Stream>();
  /** Streams with DATA waiting for connection-level window (or the socket). */
  readonly #waiting = new Set<H2Stream>();
  #prefaceSeen = false;
  #input: Buffer | undefined;
  #lastStreamId = 0;
  /** A header block in progress (HEADERS without END_HEADERS, then CONTINUATIONs). */
  #block: { streamId: number; chunks: Buffer[]; bytes: number; endStream: boolean } | undefined;
  #out: Buffer[] = [];
  #flushQueued = false;
  #closed = false;
  #goingAway = false;
  /** What the peer may still send on the connection; consumed bytes not yet given back. */
  #recvWindow: number;
  #recvConsumed = 0;
  /** What we may still send on the connection, and each new stream's initial window (the peer's settings). */
  sendWindow = DEFAULT_WINDOW;
  peerInitialWindow = DEFAULT_WINDOW;
  peerMaxFrame = MAX_FRAME;
  readonly #onClose: () => void;

  constructor(socket: Socket, onStream: (stream: H2Stream) => void, options: H2ConnectionOptions, onClose: () => void) {
    this.#socket = socket;
    this.#onStream = onStream;
    this.#options = options;
    this.#onClose = onClose;
    this.#recvWindow = options.connectionWindowBytes;
    socket.setNoDelay?.(true);
    socket.on("data", this.#onData);
    socket.on("close", this.#onSocketClose);
    socket.on("end", () => this.close()); // the client will send nothing more
    socket.on("error", () => undefined); // "close" follows
    socket.on("drain", this.#onSocketDrain);
    // server preface: our SETTINGS, then the connection window beyond the default
    const settings = Buffer.alloc(18);
    settings.writeUInt16BE(0x3, 0); // MAX_CONCURRENT_STREAMS
    settings.writeUInt32BE(options.maxConcurrentStreams, 2);
    settings.writeUInt16BE(0x4, 6); // INITIAL_WINDOW_SIZE
    settings.writeUInt32BE(options.streamWindowBytes, 8);
    settings.writeUInt16BE(0x6, 12); // MAX_HEADER_LIST_SIZE
    settings.writeUInt32BE(options.maxHeaderListBytes, 14);
    this.frame(FrameType.SETTINGS, 0, 0, settings);
    if (options.connectionWindowBytes > DEFAULT_WINDOW) this.windowUpdate(0, options.connectionWindowBytes - DEFAULT_WINDOW);
    // the socket may hold bytes already read by the protocol sniffer and put back
    socket.resume();
  }

  /** Streams open now. */
  get streams(): number {
    return this.#streams.size;
  }

  /** Whether the socket holds more than the edge lets a slow client cost. */
  get socketBlocked(): boolean {
    return this.#socket.writableLength > this.#options.maxSocketBufferBytes;
  }

  /** Ends the connection: GOAWAY (`code`), then the socket closes. */
  close(code: H2Code = H2Code.NO_ERROR, message = ""): void {
    if (this.#closed) return;
    const payload = Buffer.alloc(8 + Buffer.byteLength(message));
    payload.writeUInt32BE(this.#lastStreamId, 0);
    payload.writeUInt32BE(code, 4);
    payload.write(message, 8);
    this.frame(FrameType.GOAWAY, 0, 0, payload);
    this.#flush();
    this.#closed = true;
    this.#socket.end();
    this.#socket.destroySoon?.();
  }

  /** Queues one frame; everything queued in a turn goes out in one write. */
  frame(type: FrameType, flags: number, streamId: number, payload: Uint8Array | undefined): void {
    if (this.#closed) return;
    const length = payload?.length ?? 0;
    const header = Buffer.allocUnsafe(9);
    header.writeUIntBE(length, 0, 3);
    header[3] = type;
    header[4] = flags;
    header.writeUInt32BE(streamId & MAX_WINDOW, 5);
    this.#out.push(header);
    if (length > 0) this.#out.push(payload as Buffer);
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(this.#flush);
    }
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
    if (this.#recvConsumed * 2 >= this.#options.connectionWindowBytes) {
      this.windowUpdate(0, this.#recvConsumed);
      this.#recvWindow += this.#recvConsumed;
      this.#recvConsumed = 0;
    }
  }

  /** `stream` has DATA but no connection window (or the socket is full): pump it when that changes. */
  wait(stream: H2Stream): void {
    this.#waiting.add(stream);
  }

  /** A stream is over (ended both ways, or reset). */
  forget(stream: H2Stream): void {
    this.#streams.delete(stream.id);
    this.#waiting.delete(stream);
    if (this.#goingAway && this.#streams.size === 0) this.close();
  }

  readonly #flush = (): void => {
    this.#flushQueued = false;
    const out = this.#out;
    if (out.length === 0 || this.#closed) return;
    this.#out = [];
    const socket = this.#socket;
    if (socket.destroyed) return;
    if (out.length === 1) {
      socket.write(out[0]!);
      return;
    }
    socket.cork();
    for (const chunk of out) socket.write(chunk);
    socket.uncork();
  };

  readonly #onData = (chunk: Buffer): void => {
    if (this.#closed) return;
    let input = this.#input === undefined ? chunk : Buffer.concat([this.#input, chunk]);
    this.#input = undefined;
    try {
      if (!this.#prefaceSeen) {
        if (input.length < PREFACE.length) {
          if (!PREFACE.subarray(0, input.length).equals(input)) throw new ConnectionError(H2Code.PROTOCOL_ERROR, "not the HTTP/2 preface");
          this.#input = input;
          return;
        }
        if (!input.subarray(0, PREFACE.length).equals(PREFACE)) throw new ConnectionError(H2Code.PROTOCOL_ERROR, "not the HTTP/2 preface");
        this.#prefaceSeen = true;
        input = input.subarray(PREFACE.length);
      }
      let at = 0;
      while (input.length - at >= 9) {
        const length = input.readUIntBE(at, 3);
        if (length > MAX_FRAME) throw new ConnectionError(H2Code.FRAME_SIZE_ERROR, `frame of ${length} bytes`);
        if (input.length - at - 9 < length) break;
        const type = input[at + 3]!;
        const flags = input[at + 4]!;
        const streamId = input.readUInt32BE(at + 5) & MAX_WINDOW;
        const payload = input.subarray(at + 9, at + 9 + length);
        at += 9 + length;
        this.#frameIn(type, flags, streamId, payload);
        if (this.#closed) return;
      }
      if (at < input.length) this.#input = input.subarray(at);
    } catch (error) {
      const code = error instanceof ConnectionError ? error.code : error instanceof HpackError ? H2Code.COMPRESSION_ERROR : H2Code.INTERNAL_ERROR;
      this.#fail(code, (error as Error).message);
    }
  };

  #frameIn(type: number, flags: number, streamId: number, payload: Buffer): void {
    if (this.#block !== undefined && type !== FrameType.CONTINUATION) throw new ConnectionError(H2Code.PROTOCOL_ERROR, "a header block was interrupted");
    switch (type) {
      case FrameType.DATA:
        return this.#dataIn(flags, streamId, payload);
      case FrameType.HEADERS:
        return this.#headersIn(flags, streamId, payload);
      case FrameType.CONTINUATION:
        return this.#continuationIn(flags, streamId, payload);
      case FrameType.SETTINGS:
        return this.#settingsIn(flags, streamId, payload);
      case FrameType.WINDOW_UPDATE:
        return this.#windowUpdateIn(streamId, payload);
      case FrameType.PING:
        if (payload.length !== 8) throw new ConnectionError(H2Code.FRAME_SIZE_ERROR, "PING of the wrong size");
        if ((flags & ACK) === 0) this.frame(FrameType.PING, ACK, 0, Buffer.from(payload));
        return;
      case FrameType.RST_STREAM: {
        if (streamId === 0 || payload.length !== 4) throw new ConnectionError(H2Code.PROTOCOL_ERROR, "bad RST_STREAM");
        this.#streams.get(streamId)?.resetByPeer(payload.readUInt32BE(0));
        return;
      }
      case FrameType.GOAWAY:
        this.#goingAway = true;
        if (this.#streams.size === 0) this.close();
        return;
      case FrameType.PRIORITY:
        if (payload.length !== 5) throw new ConnectionError(H2Code.FRAME_SIZE_ERROR, "PRIORITY of the wrong size");
        return;
      case FrameType.PUSH_PROMISE:
        throw new ConnectionError(H2Code.PROTOCOL_ERROR, "a client may not push");
      default:
      // unknown frame types are ignored (RFC 9113 §5.5)
    }
  }

  #headersIn(flags: number, streamId: number, payload: Buffer): void {
    if (streamId === 0 || (streamId & 1) === 0) throw new ConnectionError(H2Code.PROTOCOL_ERROR, "HEADERS on an even or zero stream");
    let fragment = unpad(flags, payload);
    if (flags & PRIORITY_FLAG) fragment = fragment.subarray(5);
    const endStream = (flags & END_STREAM) !== 0;
    if ((flags & END_HEADERS) !== 0) return this.#headerBlock(streamId, fragment, endStream);
    this.#block = { streamId, chunks: [Buffer.from(fragment)], bytes: fragment.length, endStream };
  }

  #continuationIn(flags: number, streamId: number, payload: Buffer): void {
    const block = this.#block;
    if (block === undefined || block.streamId !== streamId) throw new ConnectionError(H2Code.PROTOCOL_ERROR, "CONTINUATION out of place");
    block.bytes += payload.length;
    if (block.bytes > this.#options.maxHeaderListBytes) throw new ConnectionError(H2Code.ENHANCE_YOUR_CALM, "header block too large");
    block.chunks.push(Buffer.from(payload));
    if ((flags & END_HEADERS) === 0) return;
    this.#block = undefined;
    this.#headerBlock(streamId, Buffer.concat(block.chunks), block.endStream);
  }

  #headerBlock(streamId: number, block: Buffer, endStream: boolean): void {
    // decoded whatever happens to the stream: the dynamic table must stay in step with the peer's
    const fields = this.#decoder.decode(block, this.#options.maxHeaderListBytes);
    const existing = this.#streams.get(streamId);
    if (existing !== undefined) {
      // trailers from the client: the request's end (their contents are not used)
      if (!endStream) throw new ConnectionError(H2Code.PROTOCOL_ERROR, "a second HEADERS without END_STREAM");
      existing.remoteEnd();
      return;
    }
    if (streamId <= this.#lastStreamId) throw new ConnectionError(H2Code.PROTOCOL_ERROR, `stream ${streamId} reused`);
    this.#lastStreamId = streamId;
    if (this.#goingAway) return;
    if (this.#streams.size >= this.#options.maxConcurrentStreams) return this.resetStream(streamId, H2Code.REFUSED_STREAM);
    const stream = new H2Stream(this, streamId, fields, this.#options.streamWindowBytes);
    this.#streams.set(streamId, stream);
    this.#onStream(stream);
    if (endStream) stream.remoteEnd();
  }

  #dataIn(flags: number, streamId: number, payload: Buffer): void {
    if (streamId === 0) throw new ConnectionError(H2Code.PROTOCOL_ERROR, "DATA on stream 0");
    this.#recvWindow -= payload.length;
    if (this.#recvWindow < 0) throw new ConnectionError(H2Code.FLOW_CONTROL_ERROR, "the client sent past the connection window");
    const data = unpad(flags, payload);
    const stream = this.#streams.get(streamId);
    if (stream === undefined) {
      if (streamId > this.#lastStreamId) throw new ConnectionError(H2Code.PROTOCOL_ERROR, `DATA on idle stream ${streamId}`);
      // a stream we have finished with: its bytes go back to the connection window at once
      this.consumed(payload.length);
      return;
    }
    // padding counts against the windows but is never read: consumed at once
    if (payload.length > data.length) {
      this.consumed(payload.length - data.length);
      stream.padding(payload.length - data.length);
    }
    stream.dataIn(data, (flags & END_STREAM) !== 0);
  }

  #settingsIn(flags: number, streamId: number, payload: Buffer): void {
    if (streamId !== 0) throw new ConnectionError(H2Code.PROTOCOL_ERROR, "SETTINGS on a stream");
    if (flags & ACK) return;
    if (payload.length % 6 !== 0) throw new ConnectionError(H2Code.FRAME_SIZE_ERROR, "SETTINGS of the wrong size");
    for (let at = 0; at < payload.length; at += 6) {
      const id = payload.readUInt16BE(at);
      const value = payload.readUInt32BE(at + 2);
      if (id === 0x4) {
        if (value > MAX_WINDOW) throw new ConnectionError(H2Code.FLOW_CONTROL_ERROR, "INITIAL_WINDOW_SIZE too large");
        const delta = value - this.peerInitialWindow;
        this.peerInitialWindow = value;
        for (const stream of this.#streams.values()) stream.windowDelta(delta);
      } else if (id === 0x5) {
        if (value < MAX_FRAME || value > 0xff_ffff) throw new ConnectionError(H2Code.PROTOCOL_ERROR, "MAX_FRAME_SIZE out of range");
        this.peerMaxFrame = value;
      } else if (id === 0x2 && value > 1) {
        throw new ConnectionError(H2Code.PROTOCOL_ERROR, "ENABLE_PUSH must be 0 or 1");
      }
    }
    this.frame(FrameType.SETTINGS, ACK, 0, undefined);
  }

  #windowUpdateIn(streamId: number, payload: Buffer): void {
    if (payload.length !== 4) throw new ConnectionError(H2Code.FRAME_SIZE_ERROR, "WINDOW_UPDATE of the wrong size");
    const increment = payload.readUInt32BE(0) & MAX_WINDOW;
    if (streamId !== 0) {
      this.#streams.get(streamId)?.windowUpdate(increment);
      return;
    }
    if (increment === 0) throw new ConnectionError(H2Code.PROTOCOL_ERROR, "WINDOW_UPDATE of 0");
    this.sendWindow += increment;
    if (this.sendWindow > MAX_WINDOW) throw new ConnectionError(H2Code.FLOW_CONTROL_ERROR, "connection window past 2^31-1");
    this.#pumpWaiting();
  }

  #pumpWaiting(): void {
    for (const stream of [...this.#waiting]) {
      if (this.sendWindow <= 0 || this.socketBlocked) return;
      this.#waiting.delete(stream);
      stream.pump();
    }
  }

  readonly #onSocketDrain = (): void => {
    this.#pumpWaiting();
  };

  #fail(code: H2Code, message: string): void {
    this.close(code, message);
    this.#abortAll();
  }

  readonly #onSocketClose = (): void => {
    this.#closed = true;
    this.#abortAll();
    this.#onClose();
  };

  #abortAll(): void {
    for (const stream of [...this.#streams.values()]) stream.resetByPeer(H2Code.CANCEL);
    this.#streams.clear();
    this.#waiting.clear();
  }
}


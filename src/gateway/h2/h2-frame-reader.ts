/**
 * A client's frames read by RFC 9113's rules: which frame may come where, on which stream, of
 * what size, and what each one changes. A frame that breaks a rule throws: a `StreamError`
 * (RST_STREAM on that stream; the connection goes on) where only that stream is wrong, a
 * `ConnectionError` (GOAWAY) otherwise, an `HpackError` (COMPRESSION_ERROR) for a header block
 * that cannot be decoded. What a frame asks of the connection (a stream, an ACK, a window) goes
 * to its host, the `H2Connection`.
 *
 *   stream ids:  idle (above the last, or even) ──HEADERS──▶ open ──END_STREAM──▶ half-closed
 *                DATA / RST_STREAM / WINDOW_UPDATE on an idle stream: PROTOCOL_ERROR
 *                on a closed one: discarded (it may be the edge that closed it first)
 */
import type { IncomingHttpHeaders } from "node:http";
import { HpackDecoder } from "./hpack.js";
import { ACK, ConnectionError, END_HEADERS, END_STREAM, FrameType, H2Code, StreamError, unpad } from "./h2-frames.js";
import { HeaderBlock, readHeadersPayload } from "./h2-header-block.js";
import { requestHeaders, trailersProblem } from "./h2-request-fields.js";
import { readSettings, type PeerSettings } from "./h2-settings.js";
import type { H2Stream } from "./h2-stream.js";

const MAX_WINDOW = 0x7fff_ffff;

/** What the reader needs of its connection. */
export interface FrameReaderHost {
  /** The open stream `id`, if any. */
  stream(id: number): H2Stream | undefined;
  /** Opens a stream for a request (throws StreamError REFUSED_STREAM past the connection's bounds). */
  open(id: number, headers: IncomingHttpHeaders, headerBytes: number, endStream: boolean): void;
  /** Answers a request whose header list is too large (431) without handing it on. */
  tooLarge(id: number, endStream: boolean): void;
  /** Takes a reset token (throws ConnectionError ENHANCE_YOUR_CALM past the bound). */
  spend(): void;
  /** Request bytes the edge will not read: the connection window gets them back. */
  consumed(bytes: number): void;
  /** A PING or SETTINGS ACK to send. */
  ack(type: FrameType, payload: Uint8Array | undefined): void;
  /** The client's SETTINGS. */
  settings(settings: PeerSettings): void;
  /** The client granted `increment` more bytes on the connection. */
  windowUpdateIn(increment: number): void;
  /** The client sent GOAWAY. */
  goingAway(): void;
}

/** Reads one connection's frames. */
export class H2FrameReader {
  readonly #host: FrameReaderHost;
  readonly #maxHeaderListBytes: number;
  readonly #decoder = new HpackDecoder();
  /** A header block in progress (HEADERS without END_HEADERS, then CONTINUATIONs). */
  #block: HeaderBlock | undefined;
  /** The client's first SETTINGS has come; it has acknowledged ours. */
  #settingsSeen = false;
  settingsAcked = false;
  /** The highest stream id the client opened; after its GOAWAY, no more. */
  lastStreamId = 0;
  #goingAway = false;
  /** What the client may still send on the connection before the edge gives window back. */
  #recvWindow: number;

  constructor(host: FrameReaderHost, maxHeaderListBytes: number, connectionWindowBytes: number) {
    this.#host = host;
    this.#maxHeaderListBytes = maxHeaderListBytes;
    this.#recvWindow = connectionWindowBytes;
  }

  /** The connection window was given back (WINDOW_UPDATE sent). */
  granted(bytes: number): void {
    this.#recvWindow += bytes;
  }

  /** One frame; throws StreamError, ConnectionError or HpackError. */
  frame(type: number, flags: number, streamId: number, payload: Buffer): void {
    if (this.#block !== undefined && type !== FrameType.CONTINUATION) throw new ConnectionError(H2Code.PROTOCOL_ERROR, "a header block was interrupted");
    if (!this.#settingsSeen) {
      if (type !== FrameType.SETTINGS || (flags & ACK) !== 0) throw new ConnectionError(H2Code.PROTOCOL_ERROR, "the first frame must be SETTINGS");
      this.#settingsSeen = true;
    }
    switch (type) {
      case FrameType.DATA:
        return this.#data(flags, streamId, payload);
      case FrameType.HEADERS:
        return this.#headers(flags, streamId, payload);
      case FrameType.CONTINUATION: {
        const block = this.#block;
        if (block === undefined) throw new ConnectionError(H2Code.PROTOCOL_ERROR, "CONTINUATION out of place");
        const whole = block.continuation(flags, streamId, payload);
        if (whole === undefined) return;
        this.#block = undefined;
        return this.#headerBlock(block.streamId, whole, block.endStream, block.dependsOn);
      }
      case FrameType.SETTINGS:
        return this.#settings(flags, streamId, payload);
      case FrameType.WINDOW_UPDATE:
        return this.#windowUpdate(streamId, payload);
      case FrameType.PING:
        if (streamId !== 0) throw new ConnectionError(H2Code.PROTOCOL_ERROR, "PING on a stream");
        if (payload.length !== 8) throw new ConnectionError(H2Code.FRAME_SIZE_ERROR, "PING of the wrong size");
        if ((flags & ACK) === 0) this.#host.ack(FrameType.PING, Buffer.from(payload));
        return;
      case FrameType.RST_STREAM:
        return this.#reset(streamId, payload);
      case FrameType.GOAWAY:
        if (streamId !== 0) throw new ConnectionError(H2Code.PROTOCOL_ERROR, "GOAWAY on a stream");
        if (payload.length < 8) throw new ConnectionError(H2Code.FRAME_SIZE_ERROR, "GOAWAY too short");
        this.#goingAway = true;
        return this.#host.goingAway();
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
    return (streamId & 1) === 0 || streamId > this.lastStreamId;
  }

  #headers(flags: number, streamId: number, payload: Buffer): void {
    if (streamId === 0 || (streamId & 1) === 0) throw new ConnectionError(H2Code.PROTOCOL_ERROR, "HEADERS on an even or zero stream");
    const read = readHeadersPayload(flags, payload);
    if ((flags & END_HEADERS) === 0) {
      this.#block = new HeaderBlock(streamId, flags, read, this.#maxHeaderListBytes);
      return;
    }
    if (read.fragment.length > this.#maxHeaderListBytes) throw new ConnectionError(H2Code.ENHANCE_YOUR_CALM, `header block over ${this.#maxHeaderListBytes} bytes`);
    this.#headerBlock(streamId, read.fragment, (flags & END_STREAM) !== 0, read.dependsOn);
  }

  #headerBlock(streamId: number, block: Buffer, endStream: boolean, dependsOn: number): void {
    // decoded whatever happens to the stream: the dynamic table must stay in step with the client's
    const decoder = this.#decoder;
    const fields = decoder.decode(block, this.#maxHeaderListBytes);
    const existing = this.#host.stream(streamId);
    if (existing !== undefined) {
      if (existing.remoteEnded) throw new StreamError(streamId, H2Code.STREAM_CLOSED, "HEADERS after END_STREAM");
      if (!endStream) throw new StreamError(streamId, H2Code.PROTOCOL_ERROR, "trailers without END_STREAM");
      const problem = decoder.malformed ?? trailersProblem(fields);
      if (problem !== undefined) throw new StreamError(streamId, H2Code.PROTOCOL_ERROR, problem);
      existing.remoteEnd();
      return;
    }
    if (streamId <= this.lastStreamId) {
      // trailers of a stream already closed (the edge may have answered and reset it first) are
      // discarded; opening a stream again, or one below the last, is a connection error
      if (endStream) return;
      throw new ConnectionError(H2Code.PROTOCOL_ERROR, `stream ${streamId} reused`);
    }
    this.lastStreamId = streamId;
    if (this.#goingAway) return;
    if (dependsOn === streamId) throw new StreamError(streamId, H2Code.PROTOCOL_ERROR, "a stream depending on itself");
    if (decoder.listBytes > this.#maxHeaderListBytes) return this.#host.tooLarge(streamId, endStream);
    const headers = decoder.malformed ?? requestHeaders(fields);
    if (typeof headers === "string") throw new StreamError(streamId, H2Code.PROTOCOL_ERROR, headers);
    this.#host.open(streamId, headers, decoder.listBytes, endStream);
  }

  #data(flags: number, streamId: number, payload: Buffer): void {
    if (streamId === 0) throw new ConnectionError(H2Code.PROTOCOL_ERROR, "DATA on stream 0");
    this.#recvWindow -= payload.length;
    if (this.#recvWindow < 0) throw new ConnectionError(H2Code.FLOW_CONTROL_ERROR, "the client sent past the connection window");
    const data = unpad(flags, payload);
    const host = this.#host;
    const stream = host.stream(streamId);
    if (stream === undefined) {
      if (this.#idle(streamId)) throw new ConnectionError(H2Code.PROTOCOL_ERROR, `DATA on idle stream ${streamId}`);
      if (data.length === 0 && (flags & END_STREAM) === 0) host.spend();
      // a stream the edge has finished with: its bytes go back to the connection window at once
      host.consumed(payload.length);
      return;
    }
    const endStream = (flags & END_STREAM) !== 0;
    // a frame without data (padding only, too) does nothing but cost (CVE-2019-9518)
    if (data.length === 0 && !endStream) host.spend();
    // padding counts against the windows but is never read: consumed at once
    if (payload.length > data.length) {
      host.consumed(payload.length - data.length);
      stream.padding(payload.length - data.length);
    }
    stream.dataIn(data, endStream);
  }

  #settings(flags: number, streamId: number, payload: Buffer): void {
    if (streamId !== 0) throw new ConnectionError(H2Code.PROTOCOL_ERROR, "SETTINGS on a stream");
    if (flags & ACK) {
      if (payload.length !== 0) throw new ConnectionError(H2Code.FRAME_SIZE_ERROR, "SETTINGS ACK with a payload");
      this.settingsAcked = true;
      return;
    }
    this.#host.settings(readSettings(payload));
    this.#host.ack(FrameType.SETTINGS, undefined);
  }

  #windowUpdate(streamId: number, payload: Buffer): void {
    if (payload.length !== 4) throw new ConnectionError(H2Code.FRAME_SIZE_ERROR, "WINDOW_UPDATE of the wrong size");
    const increment = payload.readUInt32BE(0) & MAX_WINDOW;
    if (streamId === 0) {
      if (increment === 0) throw new ConnectionError(H2Code.PROTOCOL_ERROR, "WINDOW_UPDATE of 0");
      return this.#host.windowUpdateIn(increment);
    }
    const stream = this.#host.stream(streamId);
    if (stream !== undefined) stream.windowUpdate(increment);
    else if (this.#idle(streamId)) throw new ConnectionError(H2Code.PROTOCOL_ERROR, `WINDOW_UPDATE on idle stream ${streamId}`);
  }

  #reset(streamId: number, payload: Buffer): void {
    if (payload.length !== 4) throw new ConnectionError(H2Code.FRAME_SIZE_ERROR, "RST_STREAM of the wrong size");
    if (streamId === 0) throw new ConnectionError(H2Code.PROTOCOL_ERROR, "RST_STREAM on stream 0");
    const stream = this.#host.stream(streamId);
    if (stream === undefined) {
      if (this.#idle(streamId)) throw new ConnectionError(H2Code.PROTOCOL_ERROR, `RST_STREAM on idle stream ${streamId}`);
      return;
    }
    stream.resetByPeer(payload.readUInt32BE(0));
    this.#host.spend();
  }
}

// A raw HTTP/2 client for the defence tests: frames written byte by byte as a hostile client
// would, over a real socket to the edge on 127.0.0.1, and the edge's answers parsed (GOAWAY,
// RST_STREAM, HEADERS, SETTINGS, PING, WINDOW_UPDATE, DATA), with waits on conditions only.
import { connect, type Socket } from "node:net";
import { HpackDecoder } from "../../src/gateway/h2/hpack.js";
import { waitFor } from "../helpers/wait-for.js";

export const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

export const T = { DATA: 0, HEADERS: 1, PRIORITY: 2, RST_STREAM: 3, SETTINGS: 4, PUSH_PROMISE: 5, PING: 6, GOAWAY: 7, WINDOW_UPDATE: 8, CONTINUATION: 9 } as const;
export const F = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4, PADDED: 0x8, PRIORITY: 0x20 } as const;
export const E = {
  NO_ERROR: 0, PROTOCOL_ERROR: 1, INTERNAL_ERROR: 2, FLOW_CONTROL_ERROR: 3, SETTINGS_TIMEOUT: 4, STREAM_CLOSED: 5, FRAME_SIZE_ERROR: 6,
  REFUSED_STREAM: 7, CANCEL: 8, COMPRESSION_ERROR: 9, ENHANCE_YOUR_CALM: 11,
} as const;

/** One frame. */
export function frame(type: number, flags: number, streamId: number, payload: Uint8Array = Buffer.alloc(0)): Buffer {
  const out = Buffer.alloc(9 + payload.length);
  out.writeUIntBE(payload.length, 0, 3);
  out[3] = type;
  out[4] = flags;
  out.writeUInt32BE(streamId >>> 0, 5);
  out.set(payload, 9);
  return out;
}

/** DATA frames of at most 16 KiB carrying `bytes`, END_STREAM on the last when `end`. */
export function data(streamId: number, bytes: Uint8Array, end = true): Buffer {
  const frames: Buffer[] = [];
  for (let at = 0; at < bytes.length || frames.length === 0; at += 16_384) {
    const last = at + 16_384 >= bytes.length;
    frames.push(frame(T.DATA, last && end ? F.END_STREAM : 0, streamId, bytes.subarray(at, at + 16_384)));
  }
  return Buffer.concat(frames);
}

export function settings(entries: [number, number][] = [], flags = 0): Buffer {
  const payload = Buffer.alloc(entries.length * 6);
  entries.forEach(([id, value], i) => {
    payload.writeUInt16BE(id, i * 6);
    payload.writeUInt32BE(value >>> 0, i * 6 + 2);
  });
  return frame(T.SETTINGS, flags, 0, payload);
}

export function u32(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value >>> 0, 0);
  return out;
}

export const windowUpdate = (streamId: number, increment: number): Buffer => frame(T.WINDOW_UPDATE, 0, streamId, u32(increment));
export const rst = (streamId: number, code: number): Buffer => frame(T.RST_STREAM, 0, streamId, u32(code));
export const ping = (data = Buffer.alloc(8, 7), flags = 0): Buffer => frame(T.PING, flags, 0, data);

/** An HPACK integer (RFC 7541 §5.1), written independently of the edge's encoder. */
export function hpackInt(value: number, prefix: number, flags: number): number[] {
  const max = (1 << prefix) - 1;
  if (value < max) return [flags | value];
  const out = [flags | max];
  value -= max;
  while (value >= 128) {
    out.push((value % 128) | 0x80);
    value = Math.floor(value / 128);
  }
  out.push(value);
  return out;
}

/** A header block of literals without indexing, new names, no Huffman. */
export function block(fields: [string, string][]): Buffer {
  const bytes: number[] = [];
  for (const [name, value] of fields) {
    bytes.push(0x00, ...hpackInt(name.length, 7, 0), ...Buffer.from(name, "latin1"));
    bytes.push(...hpackInt(value.length, 7, 0), ...Buffer.from(value, "latin1"));
  }
  return Buffer.from(bytes);
}

/** A gRPC request's header fields. */
export function grpcRequest(path = "/swarm.examples.v1.ComputeService/Echo", extra: [string, string][] = []): [string, string][] {
  return [[":method", "POST"], [":scheme", "http"], [":path", path], [":authority", "127.0.0.1"], ["content-type", "application/grpc"], ["te", "trailers"], ...extra];
}

/** One gRPC message (5-byte prefix) of an EchoRequest with `payload`. */
export function echoMessage(payload: Uint8Array = Buffer.alloc(16, 7)): Buffer {
  const length: number[] = [];
  for (let n = payload.length; ; n = Math.floor(n / 128)) {
    if (n < 128) {
      length.push(n);
      break;
    }
    length.push((n % 128) | 0x80);
  }
  const message = Buffer.concat([Buffer.from([0x0a, ...length]), payload]);
  const out = Buffer.alloc(5 + message.length);
  out.writeUInt32BE(message.length, 1);
  message.copy(out, 5);
  return out;
}

/** What the edge sent, parsed. */
export interface Received {
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
}

/** A raw HTTP/2 connection to the edge. */
export class RawH2 {
  readonly socket: Socket;
  readonly frames: Received[] = [];
  readonly decoder = new HpackDecoder();
  /** Decoded header blocks by stream (each HEADERS, trailers included). */
  readonly headers = new Map<number, [string, string][][]>();
  bytesReceived = 0;
  closed = false;
  #input = Buffer.alloc(0);

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on("data", (chunk: Buffer) => {
      this.bytesReceived += chunk.length;
      this.#input = Buffer.concat([this.#input, chunk]);
      while (this.#input.length >= 9) {
        const length = this.#input.readUIntBE(0, 3);
        if (this.#input.length < 9 + length) break;
        const received = { type: this.#input[3]!, flags: this.#input[4]!, streamId: this.#input.readUInt32BE(5) & 0x7fffffff, payload: this.#input.subarray(9, 9 + length) };
        this.#input = this.#input.subarray(9 + length);
        this.frames.push(received);
        if (received.type === T.HEADERS) {
          const list = this.headers.get(received.streamId) ?? [];
          list.push(this.decoder.decode(received.payload, 1 << 20));
          this.headers.set(received.streamId, list);
        }
      }
    });
    socket.on("error", () => undefined);
    socket.on("close", () => (this.closed = true));
  }

  /** Connects; `preface`: sends the preface and an empty SETTINGS (and ACKs the edge's SETTINGS). */
  static async open(port: number, options: { preface?: boolean; ack?: boolean } = {}): Promise<RawH2> {
    const socket = connect(port, "127.0.0.1");
    await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
    const raw = new RawH2(socket);
    if (options.preface !== false) {
      raw.send(PREFACE, settings());
      if (options.ack !== false) {
        await raw.until(() => raw.frames.some((f) => f.type === T.SETTINGS && (f.flags & F.ACK) === 0), "the edge's SETTINGS");
        raw.send(settings([], F.ACK));
      }
    }
    return raw;
  }

  send(...chunks: Buffer[]): void {
    if (!this.socket.destroyed) this.socket.write(Buffer.concat(chunks));
  }

  /** A HEADERS frame with END_HEADERS (and END_STREAM when `endStream`). */
  request(streamId: number, fields: [string, string][], endStream = false): void {
    this.send(frame(T.HEADERS, F.END_HEADERS | (endStream ? F.END_STREAM : 0), streamId, block(fields)));
  }

  /** The GOAWAY the edge sent, if any: its error code and last stream id. */
  get goaway(): { code: number; lastStreamId: number; debug: string } | undefined {
    const goaway = this.frames.find((f) => f.type === T.GOAWAY);
    if (goaway === undefined) return undefined;
    return { lastStreamId: goaway.payload.readUInt32BE(0) & 0x7fffffff, code: goaway.payload.readUInt32BE(4), debug: goaway.payload.subarray(8).toString() };
  }

  /** RST_STREAM codes the edge sent, by stream. */
  resets(): Map<number, number> {
    const out = new Map<number, number>();
    for (const f of this.frames) if (f.type === T.RST_STREAM) out.set(f.streamId, f.payload.readUInt32BE(0));
    return out;
  }

  /** The :status of the first HEADERS on `streamId`. */
  status(streamId: number): string | undefined {
    return this.headers.get(streamId)?.[0]?.find(([name]) => name === ":status")?.[1];
  }

  /** The grpc-status of the last header block on `streamId` (trailers, or trailers-only). */
  grpcStatus(streamId: number): string | undefined {
    const blocks = this.headers.get(streamId);
    return blocks?.[blocks.length - 1]?.find(([name]) => name === "grpc-status")?.[1];
  }

  async until(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
    await waitFor(predicate, { what, timeoutMs });
  }

  /** Waits for a GOAWAY and the connection to close; returns the GOAWAY. */
  async goawayAndClose(timeoutMs = 5000): Promise<{ code: number; lastStreamId: number; debug: string }> {
    await this.until(() => this.goaway !== undefined && this.closed, "a GOAWAY and the connection closed", timeoutMs);
    return this.goaway!;
  }

  /** Round trip: a PING the edge must answer (so everything sent before it has been read). */
  async roundTrip(timeoutMs = 5000): Promise<void> {
    const data = Buffer.alloc(8);
    data.writeDoubleBE(Math.random(), 0);
    this.send(ping(data));
    await this.until(() => this.frames.some((f) => f.type === T.PING && (f.flags & F.ACK) !== 0 && f.payload.equals(data)), "a PING ACK", timeoutMs);
  }

  close(): void {
    this.socket.destroy();
  }
}

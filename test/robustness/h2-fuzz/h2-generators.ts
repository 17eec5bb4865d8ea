// What the HTTP/2 fuzzer sends on one connection: random bytes; real sessions (node:http2's,
// captured) mutated frame by frame and byte by byte; structured frames with random fields;
// header blocks of random HPACK (indexes, literals, Huffman strings, size updates, long
// integers) split over CONTINUATIONs; short floods (rapid reset, PING, SETTINGS, empty frames);
// and mutated HTTP/1.1 requests, which the same port reads. Seeded: a seed replays a run.
import { block, echoMessage, frame, grpcRequest, hpackInt, PREFACE, settings } from "../../gateway/h2-raw.js";
import { Prng } from "../fuzz/prng.js";
import type { Session } from "./corpus.js";

/** The kinds of connection the fuzzer makes. */
export const KINDS = { random: 1, mutated: 4, frames: 3, hpack: 3, flood: 1, h1: 1 } as const;
export type Kind = keyof typeof KINDS;

/** One fuzzed connection: what to write (in these writes), and whether to read what the edge answers. */
export interface FuzzedConnection {
  kind: Kind;
  writes: Buffer[];
  /** Frames (or, for random bytes and HTTP/1.1, pieces) generated. */
  frames: number;
  /** Read the answers (else the client never reads: the edge's bounds on what it holds are exercised). */
  read: boolean;
}

const TYPES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 16, 0xff];
const STREAMS = [0, 1, 2, 3, 5, 7, 9, 0x7fffffff, 0x80000001];

/** Generates fuzzed connections. */
export class H2Fuzzer {
  readonly #prng: Prng;
  readonly #sessions: Buffer[][];

  constructor(seed: number, corpus: readonly Session[]) {
    this.#prng = new Prng(seed);
    this.#sessions = corpus.map(splitFrames);
  }

  next(): FuzzedConnection {
    const kind = this.#prng.weighted(KINDS);
    const made = this.#make(kind);
    const bytes = Buffer.concat(made.frames);
    return { kind, writes: this.#chunk(bytes), frames: made.frames.length, read: !this.#prng.chance(0.15) };
  }

  #make(kind: Kind): { frames: Buffer[] } {
    const p = this.#prng;
    switch (kind) {
      case "random": {
        const frames = p.chance(0.9) ? [PREFACE] : [];
        for (let i = p.between(1, 8); i > 0; i--) frames.push(Buffer.from(p.bytes(p.between(1, 2048))));
        return { frames };
      }
      case "mutated":
        return { frames: this.#mutate([...p.pick(this.#sessions)]) };
      case "frames": {
        const frames = [PREFACE, settings()];
        for (let i = p.between(1, 40); i > 0; i--) frames.push(this.#randomFrame());
        return { frames };
      }
      case "hpack": {
        const frames = [PREFACE, settings()];
        for (let id = 1, n = p.between(1, 12); n > 0; n--, id += 2) frames.push(...this.#headers(id));
        return { frames };
      }
      case "flood":
        return { frames: [PREFACE, settings(), ...this.#flood()] };
      case "h1":
        return { frames: this.#h1() };
    }
  }

  #randomFrame(): Buffer {
    const p = this.#prng;
    const type = p.pick(TYPES);
    const length = p.chance(0.05) ? p.pick([16_384, 16_385, 0xffffff]) : p.pick([0, 1, 4, 5, 6, 8, 9, p.between(0, 64), p.between(0, 1024)]);
    const payload = Buffer.from(p.bytes(Math.min(length, 16_385)));
    const out = frame(type, p.int(256), p.chance(0.7) ? p.pick(STREAMS) : p.int(2 ** 31), payload);
    if (length !== payload.length) out.writeUIntBE(length, 0, 3); // a length that lies
    return out;
  }

  /** HEADERS (+ CONTINUATION) with a block of random HPACK around a real request, then maybe its DATA. */
  #headers(id: number): Buffer[] {
    const p = this.#prng;
    const bytes: number[] = [];
    const ops = p.between(1, 10);
    for (let i = 0; i < ops; i++) {
      switch (p.int(8)) {
        case 0:
          bytes.push(...hpackInt(p.int(120), 7, 0x80)); // indexed, static or past the table
          break;
        case 1:
          bytes.push(...hpackInt(p.pick([0, 64, 4096, 4097, 2 ** 31, p.int(10_000)]), 5, 0x20)); // table size update
          break;
        case 2: // literal with incremental indexing, maybe Huffman-flagged random bytes
          bytes.push(0x40, ...this.#string(), ...this.#string());
          break;
        case 3: // an integer that never ends, or is too large
          bytes.push(p.pick([0xff, 0x3f, 0x7f, 0x0f]), ...new Array<number>(p.between(1, 12)).fill(0x80), p.int(2) === 0 ? 0x7f : 0x00);
          break;
        case 4:
          bytes.push(...hpackInt(p.int(70), 6, 0x40), ...this.#string()); // indexed name, new value
          break;
        default:
          bytes.push(...block(p.chance(0.5) ? grpcRequest() : [[p.pick(["x-a", "X-Up", ":path", "te", "connection", ""]), p.pick(["v", " v", "a\r\nb", "trailers", ""])]]));
      }
    }
    const fields = Buffer.concat([p.chance(0.7) ? block(grpcRequest()) : Buffer.alloc(0), Buffer.from(bytes)]);
    const end = p.chance(0.5);
    const out: Buffer[] = [];
    if (p.chance(0.3) && fields.length > 1) {
      const cut = p.between(1, fields.length - 1);
      out.push(frame(1, end ? 0x1 : 0, id, fields.subarray(0, cut)));
      for (let at = cut; at < fields.length; at += 64) out.push(frame(9, at + 64 >= fields.length ? 0x4 : 0, p.chance(0.9) ? id : id + 2, fields.subarray(at, at + 64)));
    } else {
      out.push(frame(1, 0x4 | (end ? 0x1 : 0), id, fields));
    }
    if (!end) out.push(frame(0, 0x1, id, echoMessage(Buffer.from(p.bytes(p.int(64))))));
    return out;
  }

  /** An HPACK string: raw, or Huffman-flagged random bytes (mostly invalid codes or padding). */
  #string(): number[] {
    const p = this.#prng;
    const length = p.chance(0.05) ? p.between(200, 5000) : p.int(20);
    return [...hpackInt(length, 7, p.chance(0.4) ? 0x80 : 0), ...p.bytes(length)];
  }

  #flood(): Buffer[] {
    const p = this.#prng;
    const count = p.between(50, 3000);
    const out: Buffer[] = [];
    switch (p.int(7)) {
      case 0:
        for (let i = 0, id = 1; i < count; i++, id += 2) out.push(frame(1, 0x4, id, block(grpcRequest())), frame(3, 0, id, Buffer.from([0, 0, 0, 8])));
        break;
      case 1:
        for (let i = 0; i < count; i++) out.push(frame(6, 0, 0, Buffer.alloc(8, i)));
        break;
      case 2:
        for (let i = 0; i < count; i++) out.push(settings([[0x4, p.int(70_000)]]));
        break;
      case 3:
        out.push(frame(1, 0, 1, block(grpcRequest())));
        for (let i = 0; i < count; i++) out.push(frame(9, 0, 1));
        break;
      case 4:
        for (let i = 0; i < count; i++) out.push(frame(8, 0, 0, Buffer.from([0, 0, 0, 1])));
        break;
      case 5:
        for (let i = 0; i < count; i++) out.push(frame(2, 0, 1 + 2 * i, Buffer.from([0, 0, 0, 1 + 2 * p.int(count), 16])));
        break;
      default:
        out.push(frame(1, 0x4, 1, block(grpcRequest())));
        for (let i = 0; i < count; i++) out.push(frame(0, 0, 1));
    }
    return out;
  }

  #h1(): Buffer[] {
    const p = this.#prng;
    const body = `{"n":${p.int(50)}}`;
    let text = `POST /swarm.examples.v1.ComputeService/Fibonacci HTTP/1.1\r\nhost: edge\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`;
    text = text.repeat(p.between(1, 4));
    const bytes = Buffer.from(text, "latin1");
    for (let i = p.between(0, 4); i > 0; i--) bytes[p.int(bytes.length)] = p.pick([0x00, 0x0a, 0x0d, 0x20, 0x3a, 0x2c, 0x39, p.int(256)]);
    return [bytes];
  }

  /** Frame-level and byte-level mutations of a real session. */
  #mutate(frames: Buffer[]): Buffer[] {
    const p = this.#prng;
    for (let n = p.between(1, 4); n > 0; n--) {
      const at = p.between(1, frames.length - 1); // the preface (0) mostly kept
      const target = Buffer.from(frames[at] ?? Buffer.alloc(0));
      switch (p.int(9)) {
        case 0:
          if (target.length > 0) {
            const i = p.int(target.length);
            target[i] = target[i]! ^ (1 << p.int(8));
          }
          frames[at] = target;
          break;
        case 1:
          if (target.length >= 9) target.writeUIntBE(Math.max(0, p.pick([0, target.length - 10, target.length - 8, 16_384, 16_385, p.int(0xffffff)])), 0, 3);
          frames[at] = target;
          break;
        case 2:
          if (target.length >= 9) target[3] = p.pick(TYPES);
          frames[at] = target;
          break;
        case 3:
          if (target.length >= 9) target[4] = p.int(256);
          frames[at] = target;
          break;
        case 4:
          if (target.length >= 9) target.writeUInt32BE(p.pick(STREAMS) >>> 0, 5);
          frames[at] = target;
          break;
        case 5:
          frames.splice(at, 0, ...new Array<Buffer>(p.between(1, 50)).fill(target));
          break;
        case 6:
          frames.splice(at, 1);
          break;
        case 7:
          frames[at] = target.subarray(0, p.int(target.length + 1));
          break;
        default:
          frames.splice(at, 0, this.#randomFrame());
      }
    }
    return frames;
  }

  /** Writes: mostly one, sometimes random pieces, sometimes the start a byte at a time. */
  #chunk(bytes: Buffer): Buffer[] {
    const p = this.#prng;
    const roll = p.next();
    if (roll < 0.7 || bytes.length < 2) return [bytes];
    const writes: Buffer[] = [];
    let at = 0;
    if (roll < 0.9) {
      while (at < bytes.length) {
        const size = p.between(1, Math.max(1, bytes.length >> 2));
        writes.push(bytes.subarray(at, at + size));
        at += size;
      }
      return writes;
    }
    for (; at < Math.min(bytes.length, 64); at++) writes.push(bytes.subarray(at, at + 1));
    if (at < bytes.length) writes.push(bytes.subarray(at));
    return writes;
  }
}

/** A session as its preface and frames (whatever does not parse stays one piece). */
function splitFrames(session: Session): Buffer[] {
  const frames: Buffer[] = [session.subarray(0, PREFACE.length)];
  let at = PREFACE.length;
  while (session.length - at >= 9) {
    const length = session.readUIntBE(at, 3);
    if (session.length - at < 9 + length) break;
    frames.push(session.subarray(at, at + 9 + length));
    at += 9 + length;
  }
  if (at < session.length) frames.push(session.subarray(at));
  return frames;
}

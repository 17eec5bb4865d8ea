import { gzipSync } from "node:zlib";
import { Envelope } from "../../../generated/swarm/transport/v1/envelope.js";
import type { Control } from "../../../generated/swarm/transport/v1/control.js";
import { Message, type JsonValue } from "../../../src/index.js";
import { encodeBodiesFrame, FrameFlags } from "../../../src/protocol.js";
import type { Prng } from "./prng.js";

/** Frame categories, as counted in a fuzz report. */
export type FrameKind = "envelope" | "control" | "varint" | "nesting" | "batch" | "gzip" | "ids" | "mutated" | "random" | "hello";

/** What a fuzzed connection negotiated, and who else is about. */
export interface FuzzTarget {
  /** This connection's agent id. */
  self: string;
  /** Ids of the other fuzzed connections (destinations that exist). */
  others: readonly string[];
  compression: boolean;
  batch: boolean;
}

/** One generated frame. */
export interface Fuzzed {
  kind: FrameKind;
  frame: Uint8Array;
}

const PLAIN = { maxMessageSize: 1 << 30, enableCompression: false, compressionThreshold: 0 };

/**
 * Frame generators for a hub fuzzer, in two kinds: `benign` frames are hostile but within the
 * protocol (unknown and spoofed addresses, odd control, 64-bit ids, JSON nested up to the
 * limit, valid batches and gzip when negotiated), so the hub answers them and the connection
 * lives on; `breaker` frames break a rule (random bytes, mutations of captured frames, batch
 * and gzip bombs, nesting and ids past the limits, malformed varints) and usually end the
 * connection. A connection sends many benign frames, then a breaker.
 */
export class FrameFuzzer {
  readonly #prng: Prng;
  readonly #corpus: readonly Uint8Array[];
  readonly #maxMessageSize: number;
  #bombs: Uint8Array[] | undefined;

  constructor(prng: Prng, corpus: readonly Uint8Array[], maxMessageSize: number) {
    this.#prng = prng;
    this.#corpus = corpus;
    this.#maxMessageSize = maxMessageSize;
  }

  /** A first frame: a Hello with random capabilities (sometimes fuzzed into something else: then a breaker). */
  hello(self: string): { frame: Uint8Array; capabilities: string[]; fuzzed: boolean } {
    const prng = this.#prng;
    const capabilities = ["compression", "batch", "resume"].filter(() => prng.chance(0.6));
    const frame = plain(unchecked(Message.hello(self, { capabilities, metadata: prng.chance(0.2) ? { receive_window: String(prng.int(100)) } : {} })));
    if (prng.chance(0.95)) return { frame, capabilities, fuzzed: false };
    return { frame: prng.chance(0.5) ? this.#mutate(frame) : prng.bytes(prng.int(64)), capabilities, fuzzed: true };
  }

  /** A hostile frame within the protocol. */
  benign(target: FuzzTarget): Fuzzed {
    const prng = this.#prng;
    const kind = prng.weighted({ envelope: 45, control: 25, varint: 10, nesting: 8, batch: target.batch ? 8 : 0, gzip: target.compression ? 4 : 0 });
    switch (kind) {
      case "control":
        return { kind, frame: this.#wrap([unchecked(Message.control(target.self, { operation: this.#control(target) }))], target) };
      case "varint":
        return { kind, frame: this.#wrap([this.#bigNumbers(target)], target) };
      case "nesting":
        return { kind, frame: this.#wrap([unchecked(Message.event(target.self, "deep", nested(prng, prng.between(1, 30))).to(this.#destination(target)))], target) };
      case "batch":
        return { kind, frame: encodeBodiesFrame(Array.from({ length: prng.between(2, 200) }, () => unchecked(this.#envelope(target))), PLAIN) };
      case "gzip":
        return { kind, frame: gzipped(FrameFlags.COMPRESSED, unchecked(this.#envelope(target))) };
      default:
        return { kind: "envelope", frame: this.#wrap([unchecked(this.#envelope(target))], target) };
    }
  }

  /** A frame that breaks a rule. */
  breaker(target: FuzzTarget): Fuzzed {
    const prng = this.#prng;
    const kind = prng.weighted({ random: 20, mutated: 35, batch: 15, gzip: 10, nesting: 5, ids: 10, varint: 5 });
    switch (kind) {
      case "random":
        return { kind, frame: prng.bytes(prng.pick([0, 1, 2, prng.int(64), prng.int(4096)])) };
      case "batch":
        return { kind, frame: this.#hostileBatch(target) };
      case "gzip":
        return { kind, frame: this.#hostileGzip(target) };
      case "nesting":
        return { kind, frame: plain(unchecked(Message.event(target.self, "too-deep", nested(prng, prng.between(31, 120))))) };
      case "ids": {
        const message = prng.chance(0.5) ? Message.event(target.self, "long").to("d".repeat(prng.between(257, 70_000))) : Message.event(target.self, "headers");
        if (message.destination === undefined) message.envelope.headers = Object.fromEntries(Array.from({ length: prng.between(65, 500) }, (_, i) => [`h${i}`, "v"]));
        return { kind, frame: plain(unchecked(message)) };
      }
      case "varint":
        // a varint that never ends, or runs past 10 bytes
        return { kind, frame: Uint8Array.from([0, 0x08, ...Array(prng.between(10, 40)).fill(0xff)]) };
      default:
        return { kind: "mutated", frame: this.#mutate(prng.pick(this.#corpus)) };
    }
  }

  #destination(target: FuzzTarget): string {
    const prng = this.#prng;
    return prng.pick(["hub", "nobody", target.self, ...target.others, ...target.others]);
  }

  #envelope(target: FuzzTarget): Message {
    const prng = this.#prng;
    const source = prng.chance(0.05) ? prng.pick(["pair_a", "pair_b", "hub", ...target.others]) : target.self;
    const to = this.#destination(target);
    let message: Message;
    switch (prng.int(7)) {
      case 0:
        message = Message.request(source, prng.pick(["/svc/M", "fibonacci", "x".repeat(prng.int(300))]), prng.chance(0.5) ? json(prng, 3) : prng.bytes(prng.int(200)));
        break;
      case 1:
        message = prng.chance(0.5) ? Message.response(source, prng.int(2 ** 31), json(prng, 2)) : Message.errorResponse(source, prng.int(2 ** 31), prng.int(20), "e", json(prng, 2));
        break;
      case 2:
        message = Message.heartbeat(source, prng.int(1000));
        break;
      case 3:
        message = Message.create(source, { $case: "stream", value: { correlationId: prng.int(2 ** 31), frame: { $case: "credit", value: prng.int(2 ** 31) }, fromCallee: prng.chance(0.5) } });
        break;
      case 4:
        if (prng.chance(0.1)) return Message.broadcast(source, "fuzz.topic", prng.bytes(prng.int(64))); // reaches everyone: kept small and rare
        message = Message.event(source, "fuzz.event", json(prng, 3));
        break;
      default:
        message = Message.event(source, prng.pick(["a.b", "", ">"]), prng.chance(0.5) ? prng.bytes(prng.int(2048)) : json(prng, 4));
    }
    for (let i = prng.int(4); i > 0; i--) message.withHeader(`k${prng.int(100)}`, "v".repeat(prng.int(100)));
    if (prng.chance(0.3)) message.withPriority(prng.int(256));
    if (prng.chance(0.2)) message.withTtl(prng.int(5));
    return message.to(to);
  }

  #control(target: FuzzTarget): NonNullable<Control["operation"]> {
    const prng = this.#prng;
    const address = prng.pick(["nobody", "hub", "pair_a", "pair_b", target.self, ...target.others, "y".repeat(prng.int(256))]);
    switch (prng.int(10)) {
      case 0:
        return { $case: "lookup", value: { address } };
      case 1:
        return { $case: "watch", value: { address: prng.chance(0.3) ? "" : address, all: prng.chance(0.2), stop: prng.chance(0.3) } };
      case 2:
        return { $case: "credit", value: { address, count: prng.int(2 ** 32) } };
      case 3:
        return { $case: "peerJoined", value: { address, window: prng.int(100) } };
      case 4:
        return { $case: "peerGone", value: { address, reason: "fuzz" } };
      case 5:
        return { $case: "setCompression", value: { enabled: prng.chance(0.5), thresholdBytes: prng.int(1 << 20) } };
      case 6:
        return { $case: "flowControl", value: { pause: prng.chance(0.5), pressure: prng.next() } };
      case 7:
        return { $case: "subscribe", value: { subscriptionId: prng.int(100), pattern: prng.pick(["a.>", "*", "", "..", "x.*.y"]), queueGroup: "", window: prng.int(10) } };
      case 8:
        return { $case: "undeliverable", value: { messageId: prng.int(1000), destination: address, code: "InvalidAddress", reason: "fuzz" } };
      default:
        return { $case: "cancel", value: { correlationId: prng.int(2 ** 31), reason: "fuzz" } };
    }
  }

  /** An envelope whose 64-bit fields hold values a JS number cannot: ids past 2^53, negative int64 timestamps. */
  #bigNumbers(target: FuzzTarget): Uint8Array {
    const prng = this.#prng;
    const base = unchecked(Message.event(target.self, "big").to(this.#destination(target)));
    const id = prng.pick([2n ** 53n, 2n ** 53n + 1n, 2n ** 60n, 2n ** 64n - 1n, BigInt(prng.int(2 ** 31))]);
    const timestamp = (1n << 64n) - BigInt(prng.between(1, 1000)); // a negative int64 as its varint
    return Uint8Array.from([...base, 0x08, ...varint(id), 0x10, ...varint(timestamp)]);
  }

  #hostileBatch(target: FuzzTarget): Uint8Array {
    const prng = this.#prng;
    const record = unchecked(Message.event(target.self, "r").to("nobody"));
    switch (prng.int(5)) {
      case 0: // empty records
        return Uint8Array.from([FrameFlags.BATCH, ...Array(prng.between(1, 5000)).fill(0)]);
      case 1: // too many records
        return encodeBodiesFrame(Array(prng.between(1025, 3000)).fill(record), PLAIN);
      case 2: // a record overrunning the frame
        return Uint8Array.from([FrameFlags.BATCH, record.length, ...record, 0xff, 0x7f, 1, 2]);
      case 3: // a record length of 10 varint bytes
        return Uint8Array.from([FrameFlags.BATCH, ...Array(10).fill(0xff), 1]);
      default: // records that are not envelopes
        return encodeBodiesFrame(Array.from({ length: prng.between(2, 50) }, () => prng.bytes(prng.between(1, 64))), PLAIN);
    }
  }

  #hostileGzip(target: FuzzTarget): Uint8Array {
    const prng = this.#prng;
    this.#bombs ??= [
      gzipped(FrameFlags.BATCH | FrameFlags.COMPRESSED, new Uint8Array(this.#maxMessageSize)),
      gzipped(FrameFlags.COMPRESSED, new Uint8Array(this.#maxMessageSize + 1)),
    ];
    switch (prng.int(4)) {
      case 0:
        return prng.pick(this.#bombs);
      case 1: // truncated
        return gzipped(FrameFlags.COMPRESSED, unchecked(this.#envelope(target))).subarray(0, prng.between(1, 12));
      case 2: // not gzip at all
        return Uint8Array.from([FrameFlags.COMPRESSED, ...prng.bytes(prng.int(100))]);
      default: // gzip'd random bytes
        return gzipped(FrameFlags.COMPRESSED, prng.bytes(prng.int(2000)));
    }
  }

  /** Mutations of a captured frame: bit flips, overwritten, inserted, deleted or repeated bytes, a truncation, a splice, an overlong varint. */
  #mutate(source: Uint8Array): Uint8Array {
    const prng = this.#prng;
    let bytes = Array.from(source);
    for (let n = prng.between(1, 4); n > 0; n--) {
      const at = prng.int(Math.max(1, bytes.length));
      switch (prng.int(8)) {
        case 0:
          bytes[at] = (bytes[at] ?? 0) ^ (1 << prng.int(8));
          break;
        case 1:
          bytes[at] = prng.int(256);
          break;
        case 2:
          bytes.splice(at, 0, ...prng.bytes(prng.between(1, 16)));
          break;
        case 3:
          bytes.splice(at, prng.between(1, 16));
          break;
        case 4:
          bytes = bytes.slice(0, at);
          break;
        case 5:
          bytes.splice(at, 0, ...bytes.slice(at, at + prng.between(1, 32)));
          break;
        case 6:
          bytes = [...bytes.slice(0, at), ...Array.from(prng.pick(this.#corpus)).slice(prng.int(40))];
          break;
        default:
          // an overlong varint: the same value with a redundant continuation byte
          if (bytes[at] !== undefined && bytes[at]! < 0x80) bytes.splice(at, 1, bytes[at]! | 0x80, 0x00);
      }
    }
    return Uint8Array.from(bytes);
  }

  /** One or more envelope bodies as a frame the connection may send: plain, or batched/gzip'd when negotiated. */
  #wrap(bodies: Uint8Array[], target: FuzzTarget): Uint8Array {
    if (target.compression && this.#prng.chance(0.1)) return gzipped(FrameFlags.COMPRESSED, bodies[0]!);
    return plain(bodies[0]!);
  }
}

/** Envelope bytes from the generated encoder: none of our limits checked (what a hostile peer can send). */
export function unchecked(message: Message): Uint8Array {
  return Envelope.encode(message.envelope).finish();
}

function plain(body: Uint8Array): Uint8Array {
  const frame = new Uint8Array(body.length + 1);
  frame.set(body, 1);
  return frame;
}

function gzipped(flags: number, content: Uint8Array): Uint8Array {
  const zipped = gzipSync(content, { level: 1 });
  const frame = new Uint8Array(zipped.length + 1);
  frame[0] = flags;
  frame.set(zipped, 1);
  return frame;
}

function varint(value: bigint): number[] {
  const out: number[] = [];
  while (value >= 0x80n) {
    out.push(Number(value & 0x7fn) | 0x80);
    value >>= 7n;
  }
  out.push(Number(value));
  return out;
}

function json(prng: Prng, depth: number): JsonValue {
  switch (depth <= 0 ? prng.int(4) : prng.int(6)) {
    case 0:
      return prng.int(1000) - 500;
    case 1:
      return "s".repeat(prng.int(40));
    case 2:
      return prng.chance(0.5) ? null : prng.chance(0.5);
    case 3:
      return prng.next();
    case 4:
      return Array.from({ length: prng.int(5) }, () => json(prng, depth - 1));
    default:
      return Object.fromEntries(Array.from({ length: prng.int(5) }, (_, i) => [`k${i}`, json(prng, depth - 1)]));
  }
}

function nested(prng: Prng, depth: number): JsonValue {
  let value: JsonValue = prng.int(10);
  for (let i = 0; i < depth; i++) value = prng.chance(0.5) ? { k: value } : [value];
  return value;
}

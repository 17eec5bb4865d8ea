import type { Control, Hello, HelloAck } from "../../generated/swarm/transport/v1/control.js";
import type { Data } from "../../generated/swarm/transport/v1/data.js";
import type { Envelope } from "../../generated/swarm/transport/v1/envelope.js";
import type { ProtocolVersion } from "../../generated/swarm/transport/v1/version.js";
import { dataBytes, dataJson, toData, type Body } from "./data.js";
import { envelopeSizeUpperBound } from "./size.js";
import { CURRENT_VERSION } from "./version.js";

/** The payload arm of an envelope. */
export type Payload = NonNullable<Envelope["payload"]>;
/** "request" | "response" | "event" | "broadcast" | "heartbeat" | "control" */
export type PayloadKind = Payload["$case"];
/** The payload value of one kind, e.g. `PayloadOf<"request">` is `Request`. */
export type PayloadOf<K extends PayloadKind> = PayloadMap[K];
type PayloadMap = { [P in Payload as P["$case"]]: P["value"] };

/** Priority of a message that does not set one. */
export const DEFAULT_PRIORITY = 128;

let lastId = 0;

/** The next message id of this process: 1, 2, 3, ... (unique per source process). */
export function nextMessageId(): number {
  return ++lastId;
}

/**
 * A message: the generated `Envelope` plus builders and accessors mirroring the seed crate.
 *
 * Builder methods (`to`, `withHeader`, `withPriority`, `withTtl`) change this message and
 * return it, for chaining. Once a message is sent treat it as immutable: the in-process
 * transport hands the same object to the receiver.
 */
export class Message {
  /** The wire form; what byte transports encode. */
  readonly envelope: Envelope;
  #sizeBound = -1;

  constructor(envelope: Envelope) {
    this.envelope = envelope;
  }

  /** A message from `source` carrying `payload`, stamped with a fresh id, the time and CURRENT_VERSION. */
  static create(source: string, payload: Payload, id = nextMessageId()): Message {
    return new Message({
      id,
      timestampMs: Date.now(),
      source,
      destination: undefined,
      version: CURRENT_VERSION,
      headers: {},
      priority: undefined,
      ttl: undefined,
      payload,
    });
  }

  /** A request to run `method`; its correlation id is the message id. */
  static request(source: string, method: string, params?: Body): Message {
    const id = nextMessageId();
    return Message.create(source, { $case: "request", value: { correlationId: id, method, params: toData(params), timeoutMs: 0 } }, id);
  }

  /** A successful response to the request with `correlationId`. */
  static response(source: string, correlationId: number, result?: Body): Message {
    return Message.create(source, {
      $case: "response",
      value: { correlationId, outcome: { $case: "result", value: toData(result) ?? emptyData() }, trailers: {} },
    });
  }

  /** A failed response: a gRPC status `code` (1..16), a message for people, optional details. */
  static errorResponse(source: string, correlationId: number, code: number, message: string, details?: Body): Message {
    return Message.create(source, {
      $case: "response",
      value: { correlationId, outcome: { $case: "error", value: { code, message, details: toData(details) } }, trailers: {} },
    });
  }

  /** A notification on a dot-separated subject, e.g. "training.epoch42.loss". */
  static event(source: string, name: string, data?: Body): Message {
    return Message.create(source, { $case: "event", value: { name, data: toData(data) } });
  }

  /** A message for every agent reachable on `topic`. */
  static broadcast(source: string, topic: string, data?: Body): Message {
    return Message.create(source, { $case: "broadcast", value: { topic, data: toData(data) } });
  }

  /** A liveness probe; `seq` increases by one per heartbeat on a connection. */
  static heartbeat(source: string, seq: number): Message {
    return Message.create(source, { $case: "heartbeat", value: { seq } });
  }

  /** A protocol-management message. */
  static control(source: string, control: Control): Message {
    return Message.create(source, { $case: "control", value: control });
  }

  /** The handshake's first message. */
  static hello(source: string, hello: Partial<Hello> = {}): Message {
    return Message.control(source, {
      operation: {
        $case: "hello",
        value: { version: hello.version ?? CURRENT_VERSION, capabilities: hello.capabilities ?? [], metadata: hello.metadata ?? {} },
      },
    });
  }

  /** The handshake's answer, with the negotiated version and capabilities. */
  static helloAck(source: string, ack: Partial<HelloAck> = {}): Message {
    return Message.control(source, {
      operation: {
        $case: "helloAck",
        value: { version: ack.version ?? CURRENT_VERSION, capabilities: ack.capabilities ?? [], metadata: ack.metadata ?? {} },
      },
    });
  }

  /** An orderly close, with a reason for people and an optional TransportError code. */
  static goodbye(source: string, reason: string, code = ""): Message {
    return Message.control(source, { operation: { $case: "goodbye", value: { reason, code } } });
  }

  /** Sets the destination address. */
  to(destination: string): this {
    this.envelope.destination = destination;
    this.#sizeBound = -1;
    return this;
  }

  /** Adds (or replaces) a header. */
  withHeader(name: string, value: string): this {
    this.envelope.headers[name] = value;
    this.#sizeBound = -1;
    return this;
  }

  /** Sets the priority, 0 (lowest) to 255 (highest). Throws RangeError outside that range. */
  withPriority(priority: number): this {
    if (!Number.isInteger(priority) || priority < 0 || priority > 255) {
      throw new RangeError(`priority must be an integer 0..255, got ${priority}`);
    }
    this.envelope.priority = priority === DEFAULT_PRIORITY ? undefined : priority;
    this.#sizeBound = -1;
    return this;
  }

  /** Sets the hop limit. Throws RangeError unless it is an integer 0..2^32-1. */
  withTtl(ttl: number): this {
    if (!Number.isInteger(ttl) || ttl < 0 || ttl > 0xffff_ffff) {
      throw new RangeError(`ttl must be an integer 0..4294967295, got ${ttl}`);
    }
    this.envelope.ttl = ttl;
    this.#sizeBound = -1;
    return this;
  }

  /** True when the hop limit is used up (ttl set and 0). */
  isExpired(): boolean {
    return this.envelope.ttl === 0;
  }

  /**
   * Takes one hop off the ttl. Returns whether the message may still be forwarded: true when
   * no ttl is set or some remains, false when it was already 0 or reaches 0 now.
   */
  decrementTtl(): boolean {
    const ttl = this.envelope.ttl;
    if (ttl === undefined) return true;
    if (ttl === 0) return false;
    this.envelope.ttl = ttl - 1;
    return ttl - 1 > 0;
  }

  get id(): number {
    return this.envelope.id;
  }
  get source(): string {
    return this.envelope.source;
  }
  get destination(): string | undefined {
    return this.envelope.destination;
  }
  get timestampMs(): number {
    return this.envelope.timestampMs;
  }
  get version(): ProtocolVersion | undefined {
    return this.envelope.version;
  }
  get headers(): Readonly<Record<string, string>> {
    return this.envelope.headers;
  }
  /** 0..255; 128 when unset. */
  get priority(): number {
    return this.envelope.priority ?? DEFAULT_PRIORITY;
  }
  get ttl(): number | undefined {
    return this.envelope.ttl;
  }
  /** Which payload the message carries, or undefined for an envelope without one (a newer peer's arm). */
  get kind(): PayloadKind | undefined {
    return this.envelope.payload?.$case;
  }

  /** The payload of kind `kind`, or undefined when the message is of another kind. */
  payload<K extends PayloadKind>(kind: K): PayloadOf<K> | undefined {
    const payload: { $case: string; value: unknown } | undefined = this.envelope.payload;
    if (payload?.$case !== kind) return undefined;
    return payload.value as PayloadOf<K>;
  }

  /** The application data: request params, response result or error details, event or broadcast data. */
  get data(): Data | undefined {
    const payload = this.envelope.payload;
    switch (payload?.$case) {
      case "request":
        return payload.value.params;
      case "response":
        return payload.value.outcome?.$case === "result" ? payload.value.outcome.value : payload.value.outcome?.value.details;
      case "event":
        return payload.value.data;
      case "broadcast":
        return payload.value.data;
      default:
        return undefined;
    }
  }

  /** The JSON value of `data`, or undefined when it is bytes or absent. */
  json<T = unknown>(): T | undefined {
    return dataJson(this.data) as T | undefined;
  }

  /** The protobuf bytes of `data`, or undefined when it is JSON or absent. */
  bytes(): Uint8Array | undefined {
    return dataBytes(this.data);
  }

  /**
   * An upper bound of the encoded envelope size in bytes, computed without encoding and cached
   * (the message is immutable once sent). Transports that pass messages by reference use it to
   * enforce `maxMessageSize` cheaply.
   * @internal
   */
  sizeUpperBound(): number {
    if (this.#sizeBound < 0) this.#sizeBound = envelopeSizeUpperBound(this.envelope);
    return this.#sizeBound;
  }
}

function emptyData(): Data {
  return { kind: undefined, typeName: "" };
}

import type { Envelope } from "../../../generated/swarm/transport/v1/envelope.js";
import { TransportError } from "../../transport/errors.js";

/** Capability both sides announce to keep a session across reconnects. */
export const RESUME_CAPABILITY = "resume";
/** Hello / HelloAck metadata: the session id, and how many sequenced envelopes the writer has received on it. */
export const SESSION_KEY = "session";
export const RESUME_RECEIVED_KEY = "resume_received";
/** HelloAck metadata: "true" when the hub resumed the session the client named. */
export const RESUMED_KEY = "resumed";

/** An Ack goes out once this many sequenced envelopes, or bytes, arrived since the last one (and after a short delay). */
const ACK_EVERY = 32;
const ACK_EVERY_BYTES = 256 * 1024;

/**
 * Whether an envelope belongs to the session stream (counted, kept until acknowledged, resent
 * after a reconnect) rather than to one link (Hello, HelloAck, Goodbye, Ack, Heartbeat).
 */
export function isSequenced(envelope: Envelope): boolean {
  const payload = envelope.payload;
  if (payload === undefined) return true;
  if (payload.$case === "heartbeat") return false;
  if (payload.$case !== "control") return true;
  return !UNSEQUENCED_CONTROL.has(payload.value.operation?.$case ?? "");
}

/** The Control arms outside the session stream (see `isSequenced`). */
export const UNSEQUENCED_CONTROL: ReadonlySet<string> = new Set(["hello", "helloAck", "goodbye", "ack"]);

/**
 * One side's state of a resumable session: envelopes sent and not yet acknowledged (bounded),
 * and how many were received. Sequence numbers are implicit: the n-th sequenced envelope sent
 * on the session is number n, in both directions, across links.
 *
 *   sender:   [ acked ... | replay: acked+1 .. sent ]      receiver: received = n
 *   reconnect: each side sends the other's `received`; the other resends replay after it
 * @internal
 */
export class Session {
  readonly id: string;
  /** Sequenced envelopes sent on the session so far. */
  sent = 0;
  /** Sequenced envelopes received on the session so far. */
  received = 0;
  /** Since when the peer has owed an Ack: the last time its Acks moved forward, or something was sent with nothing owed. */
  #owedSinceMs = Date.now();
  #acked = 0;
  #ackSent = 0;
  #bytesSinceAck = 0;
  #replay: Uint8Array[] = [];
  #head = 0;
  #bytes = 0;
  readonly #maxBytes: number;

  constructor(id: string, maxBytes: number) {
    this.id = id;
    this.#maxBytes = maxBytes;
  }

  /** Bytes kept for a possible resend. */
  get bufferedBytes(): number {
    return this.#bytes;
  }

  /** Whether the replay buffer is past its bound (the peer is not acknowledging). */
  get isFull(): boolean {
    return this.#bytes > this.#maxBytes;
  }

  /** How long, in ms up to `now`, the peer has owed an Ack without acknowledging anything (0: it owes none). */
  ackOverdueMs(now: number): number {
    return this.sent === this.#acked ? 0 : now - this.#owedSinceMs;
  }

  /** Envelopes sent and not yet acknowledged. */
  get unacked(): number {
    return this.sent - this.#acked;
  }

  /** A sequenced envelope was sent (or queued to be): keep it until acknowledged. */
  record(body: Uint8Array): void {
    if (this.sent === this.#acked) this.#owedSinceMs = Date.now();
    this.sent++;
    this.#replay.push(body);
    this.#bytes += body.length;
  }

  /** The peer has received `received` envelopes in all: forget those. */
  acknowledge(received: number): void {
    if (received > this.sent) throw new TransportError("SerializationError", `peer acknowledged ${received} envelopes, only ${this.sent} were sent`);
    if (received > this.#acked) this.#owedSinceMs = Date.now();
    while (this.#acked < received) {
      this.#bytes -= this.#replay[this.#head]!.length;
      this.#replay[this.#head++] = EMPTY;
      this.#acked++;
    }
    if (this.#head > 1024 && this.#head * 2 > this.#replay.length) {
      this.#replay = this.#replay.slice(this.#head);
      this.#head = 0;
    }
  }

  /** The envelopes sent and not yet acknowledged (lost if the session ends now). */
  unacknowledged(): Uint8Array[] {
    return this.#replay.slice(this.#head);
  }

  /** After a reconnect: what the peer has not received, given its count. Throws when that is no longer kept. */
  resendAfter(peerReceived: number): Uint8Array[] {
    if (peerReceived < this.#acked || peerReceived > this.sent) {
      throw new TransportError("ConnectionError", `cannot resume session ${this.id}: peer has ${peerReceived}, kept ${this.#acked + 1}..${this.sent}`);
    }
    this.acknowledge(peerReceived);
    return this.#replay.slice(this.#head);
  }

  /**
   * Counts one received sequenced envelope of `bytes`; true when an Ack is due (the caller
   * sends one `ackNow()` for everything received so far, once per frame at most).
   */
  onReceived(bytes: number): boolean {
    this.received++;
    this.#bytesSinceAck += bytes;
    return this.received - this.#ackSent >= ACK_EVERY || this.#bytesSinceAck >= ACK_EVERY_BYTES;
  }

  /** Envelopes received and not yet acknowledged to the peer (an Ack is due for them). */
  get unacknowledgedReceived(): number {
    return this.received - this.#ackSent;
  }

  /** The count to acknowledge (marks it sent), or undefined when nothing is new. */
  ackNow(): number | undefined {
    if (this.received === this.#ackSent) return undefined;
    this.#ackSent = this.received;
    this.#bytesSinceAck = 0;
    return this.received;
  }

  /** A new link resumes the session: the peer's Ack state starts over from what it said it has. */
  resetAckState(): void {
    this.#ackSent = this.received;
    this.#owedSinceMs = Date.now();
  }
}

const EMPTY = new Uint8Array(0);

/**
 * A random session id, 128 bits: the session's proof. Only the agent it was issued to learns it
 * (in HelloAck); a parked session resumes only for a Hello that names it (and passes
 * authentication for the same agent id).
 */
export function newSessionId(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

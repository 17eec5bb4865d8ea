import type { Control } from "../../../generated/swarm/transport/v1/control.js";
import type { Envelope } from "../../../generated/swarm/transport/v1/envelope.js";
import { readEnvelopeRoute, type EnvelopeRoute } from "../../protocol/envelope-route.js";
import { encodeBodiesFrame, encodeEnvelopeBody, frameBodies } from "../../protocol/batch.js";
import { decodeEnvelope, type FrameCodecOptions } from "../../protocol/codec.js";
import type { Compression } from "../../protocol/compression.js";
import { BATCH_RECORD_OVERHEAD, MAX_BATCH_RECORDS } from "../../protocol/limits.js";
import { Message } from "../../protocol/message.js";
import { ProtocolError } from "../../protocol/protocol-error.js";
import type { StatsRecorder } from "../../transport/stats.js";
import { isSequenced, UNSEQUENCED_CONTROL, type Session } from "./session.js";
import { CloseCode, closeReason, ReadyState, type WebSocketLike } from "./socket.js";

/** A received envelope is acknowledged within this many ms even when fewer than 32 arrived. */
const ACK_DELAY_MS = 10;

/**
 * Largest batch, in bytes of envelope records (each charged BATCH_RECORD_OVERHEAD more, as the
 * receiver counts it), before it is written without waiting for the turn to end.
 */
const MAX_BATCH_BYTES = 64 * 1024;

/**
 * Runs `callback` once the current turn of the event loop is over (after its microtasks), so
 * sends made across many `await`s in one turn share a frame. `setImmediate` in Node; in a
 * browser a MessageChannel message, which (unlike `setTimeout(0)`) is not clamped to 1–4 ms.
 */
const afterThisTurn: (callback: () => void) => void = (() => {
  const immediate = (globalThis as { setImmediate?: (callback: () => void) => unknown }).setImmediate;
  if (immediate !== undefined) return (callback) => void immediate(callback);
  const channel = new MessageChannel();
  const queue: (() => void)[] = [];
  channel.port1.onmessage = () => queue.shift()?.();
  return (callback) => {
    queue.push(callback);
    channel.port2.postMessage(undefined);
  };
})();

/**
 * The frame last encoded from a list of bodies, with what it was encoded for. A hub fanning a
 * publish out puts the same bodies on many links in one turn; the links whose batches hold the
 * same bodies and encode alike share one frame (one copy, one gzip) instead of encoding it
 * once per socket. Sockets never change what they are given to send (a masking client copies
 * first). Forgotten after the turn, so at most one frame is held.
 */
let lastFrame: { bodies: readonly Uint8Array[]; options: FrameCodecOptions; compress: boolean; threshold: number; max: number; frame: Uint8Array } | undefined;
let forgetScheduled = false;

function forgetLastFrame(): void {
  forgetScheduled = false;
  lastFrame = undefined;
}

/** `encodeBodiesFrame(bodies, options)`, shared with the previous call of this turn when it had the same bodies and settings. */
function sharedFrame(bodies: readonly Uint8Array[], options: FrameCodecOptions): Uint8Array {
  const last = lastFrame;
  if (
    last !== undefined &&
    last.bodies.length === bodies.length &&
    last.options.compression === options.compression &&
    last.compress === options.enableCompression &&
    last.threshold === options.compressionThreshold &&
    last.max === options.maxMessageSize &&
    last.bodies.every((body, i) => body === bodies[i])
  ) {
    return last.frame;
  }
  const frame = encodeBodiesFrame(bodies, options);
  lastFrame = { bodies, options, compress: options.enableCompression, threshold: options.compressionThreshold, max: options.maxMessageSize, frame };
  if (!forgetScheduled) {
    forgetScheduled = true;
    afterThisTurn(forgetLastFrame);
  }
  return frame;
}

/**
 * One WebSocket from one side (client, or the hub for one agent): frames out and in with the
 * negotiated compression, byte counts, heartbeat bookkeeping, and, when both sides announced
 * "batch", coalescing of the envelopes written in one turn of the event loop into one batch
 * frame (flushed when the turn ends, or at MAX_BATCH_BYTES or MAX_BATCH_RECORDS). Every write
 * goes through the same path, so envelopes leave in the order they were written. Until the
 * handshake says otherwise it accepts neither compressed nor batch frames; Acks are coalesced
 * (one per turn at most, never one per record of a batch).
 * @internal
 */
export class Link {
  readonly socket: WebSocketLike;
  /** How this side encodes frames towards the peer (the peer may change it with SetCompression). */
  readonly outgoing: FrameCodecOptions;
  /** How this side decodes the peer's frames. */
  readonly incoming: FrameCodecOptions;
  lastSeenMs = Date.now();
  /** Bytes of frames read on this link. */
  bytesIn = 0;
  /** Bytes of frames written on this link. */
  bytesOut = 0;
  /** The resumable session this link carries, when both sides announced "resume". */
  session: Session | undefined;
  #batching = false;
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  /** Sequenced bodies held while the peer asked for a pause (FlowControl); undefined when not paused. */
  #held: Uint8Array[] | undefined;
  #heldBytes = 0;
  #heartbeatSeq = 0;
  #ackTimer: ReturnType<typeof setTimeout> | undefined;
  #ackScheduled = false;
  #lastSentMs = Date.now();
  readonly #stats: StatsRecorder;
  readonly #source: string;

  constructor(socket: WebSocketLike, source: string, maxMessageSize: number, compressionThreshold: number, stats: StatsRecorder) {
    this.socket = socket;
    this.#source = source;
    this.#stats = stats;
    this.outgoing = { maxMessageSize, enableCompression: false, compressionThreshold, compression: undefined };
    this.incoming = { maxMessageSize, enableCompression: false, compressionThreshold, compression: undefined, acceptBatch: false };
  }

  /**
   * After the handshake: what both sides announced. Compressed frames are read only when
   * compression was agreed (`compress`), batch frames only when "batch" was.
   */
  negotiated(compression: Compression | undefined, compress: boolean, batch: boolean): void {
    this.outgoing.compression = compression;
    this.outgoing.enableCompression = compress && compression !== undefined;
    this.incoming.compression = compress ? compression : undefined;
    this.incoming.acceptBatch = batch;
    this.#batching = batch;
  }

  /** The peer's SetCompression: how this side compresses towards it from now on. */
  setCompression(enabled: boolean, thresholdBytes: number): void {
    this.outgoing.enableCompression = enabled && this.outgoing.compression !== undefined;
    this.outgoing.compressionThreshold = thresholdBytes;
  }

  get isOpen(): boolean {
    return this.socket.readyState === ReadyState.OPEN;
  }

  /** Bytes written but not yet handed to the socket: a batch waiting for the turn to end, and what a pause holds. */
  get pendingBytes(): number {
    return this.#pendingBytes + this.#heldBytes;
  }

  /** Whether the peer asked this side to pause (FlowControl{pause: true}). */
  get paused(): boolean {
    return this.#held !== undefined;
  }

  /**
   * The peer's FlowControl: while paused, sequenced envelopes (everything but Hello, HelloAck,
   * Goodbye, Ack and Heartbeat, which keep the link alive) are held, in order, and written when
   * it resumes. What is held counts in `pendingBytes`, so the slow-consumer bound covers it.
   */
  setPaused(pause: boolean): void {
    if (pause) {
      this.#held ??= [];
      return;
    }
    const held = this.#held;
    this.#held = undefined;
    this.#heldBytes = 0;
    if (held !== undefined && this.isOpen) for (const body of held) this.resend(body);
  }

  /** Encodes and writes (or batches) an envelope. Throws MessageTooLarge / SerializationError, sending nothing. */
  sendEnvelope(envelope: Envelope): void {
    this.sendBody(encodeEnvelopeBody(envelope, this.outgoing.maxMessageSize), isSequenced(envelope));
  }

  /**
   * Writes (or batches) an already encoded envelope, e.g. one the hub forwards as received. A
   * sequenced envelope on a session is also kept until the peer acknowledges it, so it is
   * resent after a reconnect even when this socket is already gone.
   */
  sendBody(body: Uint8Array, sequenced = true): void {
    if (body.length > this.outgoing.maxMessageSize) throw ProtocolError.sizeExceeded(body.length, this.outgoing.maxMessageSize);
    if (sequenced && this.session !== undefined) this.session.record(body);
    if (!this.isOpen) return;
    if (sequenced && this.#held !== undefined) {
      this.#held.push(body);
      this.#heldBytes += body.length;
      return;
    }
    this.resend(body);
  }

  /** Writes (or batches) a body without recording it: a resend after a reconnect. */
  resend(body: Uint8Array): void {
    if (!this.#batching) return this.#write(sharedFrame([body], this.outgoing));
    const cost = body.length + BATCH_RECORD_OVERHEAD;
    const limit = Math.min(MAX_BATCH_BYTES, this.outgoing.maxMessageSize);
    if (this.#pending.length > 0 && (this.#pendingBytes + cost > limit || this.#pending.length >= MAX_BATCH_RECORDS)) this.flush();
    if (this.#pending.length === 0) afterThisTurn(this.flush);
    this.#pending.push(body);
    this.#pendingBytes += cost;
  }

  /** Writes the pending batch now. */
  readonly flush = (): void => {
    const pending = this.#pending;
    if (pending.length === 0) return;
    this.#pending = [];
    this.#pendingBytes = 0;
    if (this.isOpen) this.#write(sharedFrame(pending, this.outgoing));
  };

  /** Encodes and sends a transport-level envelope (control, heartbeat) if the socket is open. */
  writeControl(message: Message): void {
    if (this.isOpen) this.sendEnvelope(message.envelope);
  }

  /** The envelope bodies of one incoming frame (throws a TransportError for bad input). */
  bodies(bytes: Uint8Array): Uint8Array[] {
    this.#stats.bytesReceived += bytes.length;
    this.bytesIn += bytes.length;
    this.lastSeenMs = Date.now();
    return frameBodies(bytes, this.incoming);
  }

  /** Decodes one envelope body (throws SerializationError); counts and acknowledges it on a session. */
  decodeBody(body: Uint8Array): Envelope {
    const envelope = decodeEnvelope(body);
    const payload = envelope.payload;
    this.#received(isSequenced(envelope), payload?.$case === "control" ? payload.value : undefined, body.length);
    return envelope;
  }

  /**
   * Reads one envelope body's route without decoding its payload (a hub forwarding it as it
   * came; throws SerializationError for what a decoder would refuse); counts and acknowledges
   * it on a session, as `decodeBody`.
   */
  readBody(body: Uint8Array): EnvelopeRoute {
    const route = readEnvelopeRoute(body);
    const control = route.control;
    const sequenced = route.kind === "heartbeat" ? false : control === undefined || !UNSEQUENCED_CONTROL.has(control.operation?.$case ?? "");
    this.#received(sequenced, control, body.length);
    return route;
  }

  #received(sequenced: boolean, control: Control | undefined, bytes: number): void {
    const session = this.session;
    if (session === undefined) return;
    if (sequenced) {
      if (!session.onReceived(bytes)) this.#ackTimer ??= setTimeout(this.#ackLater, ACK_DELAY_MS);
      else if (!this.#ackScheduled) {
        // one Ack for everything that arrived this turn (a batch of 1,000 records: one Ack)
        this.#ackScheduled = true;
        afterThisTurn(this.#ackLater);
      }
    } else if (control?.operation?.$case === "ack") {
      session.acknowledge(control.operation.value.received);
    }
  }

  /** A sender waiting on a full session buffer must not wait for the 32nd envelope or a heartbeat. */
  readonly #ackLater = (): void => {
    this.#ackScheduled = false;
    clearTimeout(this.#ackTimer);
    this.#ackTimer = undefined;
    const ack = this.session?.ackNow();
    if (ack !== undefined && this.isOpen) this.#sendAck(ack);
  };

  /** Releases the link's timer (its socket closed). */
  dispose(): void {
    clearTimeout(this.#ackTimer);
    this.#ackTimer = undefined;
  }

  #sendAck(received: number): void {
    this.writeControl(Message.control(this.#source, { operation: { $case: "ack", value: { received } } }));
  }

  /**
   * Heartbeat duty, called from one periodic timer: sends a Heartbeat when nothing was sent for
   * `intervalMs`, and returns false when the peer was silent past `timeoutMs` (dead).
   */
  tick(now: number, intervalMs: number, timeoutMs: number): boolean {
    if (now - this.lastSeenMs > timeoutMs) return false;
    const ack = this.session?.ackNow();
    if (ack !== undefined && this.isOpen) this.#sendAck(ack);
    if (now - this.#lastSentMs >= intervalMs && this.isOpen) {
      this.writeControl(Message.heartbeat(this.#source, ++this.#heartbeatSeq));
    }
    return true;
  }

  /** Writes what is pending and a Goodbye (when open), then closes the socket with `code`. */
  close(code: number, reason: string, goodbyeCode = ""): void {
    this.dispose();
    if (this.isOpen) {
      try {
        this.writeControl(Message.goodbye(this.#source, reason, goodbyeCode));
      } catch {
        // the socket is going away anyway
      }
      this.flush();
    }
    if (this.socket.readyState === ReadyState.OPEN || this.socket.readyState === ReadyState.CONNECTING) {
      this.socket.close(code, closeReason(reason));
    }
  }

  #write(frame: Uint8Array): void {
    this.socket.send(frame);
    this.#stats.bytesSent += frame.length;
    this.bytesOut += frame.length;
    this.#lastSentMs = Date.now();
  }
}

/**
 * Closes a link (Goodbye{reason, goodbyeCode} + close frame with `code`) and waits for the
 * socket's close event, at most 1 s: a peer that does not complete the closing handshake (dead,
 * or just silent) is then cut off (`terminate`, where the socket has it).
 */
export function closeAndWait(link: Link, reason: string, code: number = CloseCode.NORMAL, goodbyeCode = ""): Promise<void> {
  const socket = link.socket;
  if (socket.readyState === ReadyState.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, 1000);
    function done() {
      clearTimeout(timer);
      socket.removeEventListener("close", done);
      socket.terminate?.();
      resolve();
    }
    socket.addEventListener("close", done);
    link.close(code, reason, goodbyeCode);
  });
}

/** Goodbye.code of a link closed for a heartbeat timeout: the link failed, the session lives on (it may resume). */
export const HEARTBEAT_TIMEOUT_CODE = "Timeout";

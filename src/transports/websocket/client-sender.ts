import { encodeEnvelopeBody } from "../../protocol/batch.js";
import { Message } from "../../protocol/message.js";
import { TransportError } from "../../transport/errors.js";
import { SENT } from "../../transport/sent.js";
import type { SendOptions } from "../../transport/transport.js";
import { SendWindows } from "./credits.js";
import type { EndpointCore } from "../../transport/endpoint-core.js";
import type { Link } from "./link.js";
import type { WebSocketTuning } from "./options.js";
import { Outbox, type PendingSend } from "./outbox.js";
import { isSequenced } from "./session.js";


/**
 * A client's send side: writes a message at once when it may, otherwise queues it (bounded,
 * in order) until the link, the socket's high-water mark, the session buffer and the
 * receiver's credit all allow it. An unknown destination is looked up first.
 * @internal
 */
export class ClientSender {
  /** The current link; undefined while disconnected. */
  link: Link | undefined;
  /** The hub asked this client to pause (FlowControl). */
  peerPaused = false;
  readonly windows = new SendWindows();
  readonly #outbox: Outbox;
  readonly #agentId: string;
  readonly #url: string;
  readonly #tuning: Readonly<WebSocketTuning>;
  readonly #core: EndpointCore;
  #flushTimer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  readonly #sendTimeoutMs: number;
  readonly #maxMessageSize: number;

  constructor(agentId: string, url: string, tuning: Readonly<WebSocketTuning>, core: EndpointCore, sendTimeoutMs: number, maxMessageSize: number) {
    this.#sendTimeoutMs = sendTimeoutMs;
    this.#maxMessageSize = maxMessageSize;
    this.#agentId = agentId;
    this.#url = url;
    this.#tuning = tuning;
    this.#core = core;
    this.#outbox = new Outbox(tuning.maxBufferedMessages);
  }

  /** Sends waiting in the queue. */
  get pending(): number {
    return this.#outbox.size;
  }

  /**
   * Writes now when nothing waits and everything allows it; otherwise queues behind the rest.
   * A queued send waits at most `options.timeoutMs` (default `connectionTimeoutMs` while
   * connected; while disconnected, until the reconnect settles) or until `options.signal`.
   */
  submit(to: string | undefined, message: Message, options: SendOptions | undefined): Promise<void> {
    let body: Uint8Array;
    try {
      body = this.#encode(to, message);
    } catch (error) {
      return this.#core.fail(TransportError.from(error));
    }
    const sequenced = isSequenced(message.envelope);
    if (this.#outbox.size === 0 && this.#canWrite(to)) {
      try {
        this.#write(to, body, sequenced);
      } catch (error) {
        return this.#core.fail(TransportError.from(error));
      }
      this.#sent();
      return SENT;
    }
    if (this.link === undefined && !this.#tuning.bufferWhileDisconnected) {
      return this.#core.fail(new TransportError("ConnectionError", `not connected to ${this.#url} (reconnecting)`));
    }
    const timeoutMs = options?.timeoutMs ?? (this.link !== undefined ? this.#sendTimeoutMs : undefined);
    const queued = this.#outbox.enqueue(to, body, sequenced, options?.signal, timeoutMs);
    this.#scheduleFlush();
    return queued.then(this.#sentAfterWait, this.#failAfterWait);
  }

  /** The hub answered a Lookup: unblock the sends to `address`, or fail them with InvalidAddress. */
  onLookupResult(address: string, found: boolean, window: number): void {
    if (found) {
      this.windows.found(address, window);
    } else {
      this.windows.forget(address);
      this.#outbox.failTo(address, new TransportError("InvalidAddress", `no agent "${address}" on hub ${this.#url}`, { address }));
    }
    this.flush();
  }

  /** The link dropped: fail what waits, unless sends are buffered until the reconnect. */
  disconnected(error: TransportError): void {
    this.link = undefined;
    if (!this.#tuning.bufferWhileDisconnected) this.#core.stats.errors += this.#outbox.failAll(error);
  }

  /** Stops for good: every waiting send rejects with `error`. */
  shutdown(error: TransportError): void {
    this.#closed = true;
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    this.#core.stats.errors += this.#outbox.failAll(error);
  }

  /** Writes what may be written now; polls again while sends wait on a connected socket. */
  readonly flush = (): void => {
    this.#flushTimer = undefined;
    this.#outbox.drain(this.#canWritePending, this.#writePending);
    this.#scheduleFlush();
  };

  /**
   * Whether a send to `to` may be written now: connected, not paused by the hub, socket under
   * its high-water mark, session buffer not full, and credit left for `to` (an unknown `to`
   * starts a Lookup first).
   */
  #canWrite(to: string | undefined): boolean {
    const link = this.link;
    if (link === undefined || !link.isOpen || this.peerPaused) return false;
    if (link.socket.bufferedAmount + link.pendingBytes >= this.#tuning.highWaterMarkBytes) return false;
    if (link.session?.isFull) return false; // the hub is not acknowledging: Acks trigger a flush
    if (to === undefined) return true;
    const credit = this.windows.credit(to);
    if (credit !== undefined) return credit > 0;
    if (this.windows.startLookup(to)) {
      link.writeControl(Message.control(this.#agentId, { operation: { $case: "lookup", value: { address: to } } }));
    }
    return false;
  }

  /** Encodes with `destination` set to `to` for this encoding only (the caller's message is left as it was). */
  #encode(to: string | undefined, message: Message): Uint8Array {
    const envelope = message.envelope;
    const previous = envelope.destination;
    envelope.destination = to;
    try {
      return encodeEnvelopeBody(envelope, this.link?.outgoing.maxMessageSize ?? this.#maxMessageSize);
    } finally {
      envelope.destination = previous;
    }
  }

  #write(to: string | undefined, body: Uint8Array, sequenced: boolean): void {
    const link = this.link!;
    // encoded while disconnected: the hub reached now may allow less than the one before
    if (body.length > link.outgoing.maxMessageSize) throw TransportError.tooLarge(body.length, link.outgoing.maxMessageSize);
    link.sendBody(body, sequenced);
    if (to !== undefined) this.windows.consume(to);
  }

  readonly #canWritePending = (pending: PendingSend): boolean => this.#canWrite(pending.to);
  readonly #writePending = (pending: PendingSend): void => this.#write(pending.to, pending.body, pending.sequenced);
  readonly #sentAfterWait = (): void => this.#sent();
  readonly #failAfterWait = (error: TransportError): Promise<never> => this.#core.fail(error);

  /** Backpressure has no portable "drain" event: poll while sends wait on a connected socket. */
  #scheduleFlush(): void {
    if (this.#flushTimer === undefined && this.#outbox.size > 0 && this.link !== undefined && !this.#closed) {
      this.#flushTimer = setTimeout(this.flush, 2);
    }
  }

  #sent(): void {
    this.#core.stats.messagesSent++;
    this.#core.stats.lastActivityMs = Date.now();
  }
}

import type { Message } from "../protocol/message.js";
import { BoundedQueue } from "./bounded-queue.js";
import type { TransportConfig } from "./config.js";
import { TransportError } from "./errors.js";
import { StatsRecorder, type TransportStats } from "./stats.js";
import type { PeerGoneEvent, ReceivedMessage, ReceiveOptions } from "./transport.js";

/** How a transport's byte mover plugs into the core. Every hook is optional. */
export interface EndpointHooks {
  /**
   * Pull-style movers (shared-memory rings): reads one message now, or undefined. Called when
   * the queue is empty, so data that nobody asked for stays where it is (in the ring) and
   * backpressure stays with the sender.
   */
  pull?(): ReceivedMessage | undefined;
  /** A receive started waiting (`first`: no other one waits): arm wake-ups, look for data. */
  waitStarted?(first: boolean): void;
  /** No receive waits any more (served, aborted or rejected). */
  waitEnded?(): void;
  /** Why a receive with nothing to take fails at once (e.g. every peer has gone); undefined to wait. */
  idleError?(): TransportError | undefined;
  /** The application took `received` (`receive`/`tryReceive`): e.g. grant its sender credit. */
  taken?(received: ReceivedMessage): void;
}

/**
 * The receive side every transport shares: a queue bounded in messages and bytes, `receive`
 * / `tryReceive` / async iteration, peer-gone listeners, stats, and fail/close. A transport
 * adds only its send path and its byte mover, which hands messages in with `deliver` (push:
 * sockets, in-process), or lets the core `pull` them (shared-memory rings).
 *
 * When the queue is full, `deliver` sets the message aside and calls the mover's `pause`, so
 * the source stops reading (TCP then pushes back on the sender) instead of this process
 * buffering without bound; `resume` runs once the queue has room again.
 * @internal
 */
export class EndpointCore {
  readonly stats = new StatsRecorder();
  /** Names this endpoint in error messages, e.g. `transport "alice"`. */
  readonly what: string;
  readonly #queue: BoundedQueue<ReceivedMessage>;
  readonly #hooks: EndpointHooks;
  readonly #listeners = new Set<(event: PeerGoneEvent) => void>();
  readonly #overflow: { received: ReceivedMessage; bytes: number; resume: (() => void) | undefined }[] = [];
  readonly #faults: TransportError[] = [];

  constructor(config: Readonly<TransportConfig>, what: string, hooks: EndpointHooks = {}) {
    this.what = what;
    this.#hooks = hooks;
    this.#queue = new BoundedQueue(config.queueCapacity, config.queueCapacityBytes, hooks.waitEnded);
  }

  /** Messages queued (not counting those set aside while the source is paused). */
  get queued(): number {
    return this.#queue.size;
  }

  /** Bytes queued. */
  get queuedBytes(): number {
    return this.#queue.bytes;
  }

  /** Receives waiting for a message. */
  get waiting(): number {
    return this.#queue.waitingTakers;
  }

  get isClosed(): boolean {
    return this.#queue.isClosed;
  }

  /**
   * Queues an incoming message (or hands it to a waiting receive). When the queue is full it is
   * kept aside and `pause` is called so the source stops reading; `resume` runs once there is room.
   */
  deliver(from: string, message: Message, bytes = 0, pause?: () => void, resume?: () => void): void {
    if (this.#queue.isClosed) {
      this.stats.messagesDropped++;
      return;
    }
    this.stats.lastActivityMs = Date.now();
    const received: ReceivedMessage = { from, message };
    if (this.#overflow.length === 0 && this.#queue.offer(received, bytes)) return;
    this.#overflow.push({ received, bytes, resume });
    pause?.();
  }

  /**
   * Queues an incoming message if there is room now; false (nothing queued) when full. `atMs`
   * is the time of arrival, for a sender that has just read the clock for its own stats.
   */
  offer(received: ReceivedMessage, bytes = 0, atMs = Date.now()): boolean {
    if (this.#overflow.length !== 0 || !this.#queue.offer(received, bytes)) return false;
    this.stats.lastActivityMs = atMs;
    return true;
  }

  /**
   * Waits for room, then queues (in-process senders wait on the receiver's queue). Rejects with
   * `Timeout` after `timeoutMs`, `Aborted`, `Closed`, or `QueueFull` when `maxWaiters` already wait.
   */
  offerWait(received: ReceivedMessage, bytes: number, timeoutMs: number, maxWaiters: number, signal: AbortSignal | undefined): Promise<void> {
    return this.#queue.offerWait(received, bytes, timeoutMs, maxWaiters, signal, `receive queue of ${this.what}`).then(this.#arrived);
  }

  /** An error for the next receive (a waiting one at once): a corrupt frame a pull-mover read. */
  fault(error: TransportError): void {
    this.stats.errors++;
    if (!this.#queue.rejectTaker(error)) this.#faults.push(error);
  }

  /** Rejects every waiting receive with `error`; the endpoint stays open. */
  failWaiting(error: TransportError): void {
    this.#queue.rejectTakers(error);
  }

  /**
   * The next message, waiting if none is queued. Rejects with `Closed` when the endpoint is
   * closed (including while waiting), `Aborted` on `signal`, or a fault the mover reported.
   */
  receive(options?: ReceiveOptions): Promise<ReceivedMessage> {
    const queue = this.#queue;
    if (queue.waitingTakers === 0) {
      const ready = queue.poll() ?? this.#pull();
      if (ready !== undefined) return Promise.resolve(this.#taken(ready));
    }
    const fault = this.#faults.shift();
    if (fault !== undefined) return Promise.reject(fault);
    if (queue.isClosed) return Promise.reject(TransportError.closed(this.what));
    const idle = this.#hooks.idleError?.();
    if (idle !== undefined) return Promise.reject(idle);
    const first = queue.waitingTakers === 0;
    const taken = queue.take(options?.signal, this.#taken);
    if (queue.waitingTakers > 0) this.#hooks.waitStarted?.(first);
    return taken;
  }

  /** The next message without waiting, or undefined when none is ready (or the endpoint is closed). */
  tryReceive(): ReceivedMessage | undefined {
    const ready = this.#queue.poll() ?? this.#pull();
    return ready === undefined ? undefined : this.#taken(ready);
  }

  /** Receives until the endpoint closes, then ends without an error. */
  async *iterate(): AsyncGenerator<ReceivedMessage> {
    for (;;) {
      let received: ReceivedMessage;
      try {
        received = await this.receive();
      } catch (error) {
        if (TransportError.is(error, "Closed")) return;
        throw error;
      }
      yield received;
    }
  }

  onPeerGone(listener: (event: PeerGoneEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Tells the listeners that `address` (undefined: every peer) is gone. */
  peerGone(address: string | undefined, reason: string): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener({ address, reason });
      } catch {
        this.stats.errors++;
      }
    }
  }

  /** Counts a failed operation and returns it as a rejected promise. */
  fail(error: TransportError): Promise<never> {
    this.stats.errors++;
    return Promise.reject(error);
  }

  /** Closes the queue (what was still queued or set aside counts as dropped), tells the listeners once. Idempotent. */
  close(): void {
    if (this.#queue.isClosed) return;
    this.stats.messagesDropped += this.#queue.close(TransportError.closed(this.what)) + this.#overflow.length;
    this.#overflow.length = 0;
    this.#faults.length = 0;
    this.peerGone(undefined, "closed");
    this.#listeners.clear();
  }

  snapshot(): TransportStats {
    return this.stats.snapshot();
  }

  #pull(): ReceivedMessage | undefined {
    const pull = this.#hooks.pull;
    const received = pull === undefined ? undefined : pull();
    if (received !== undefined) this.stats.lastActivityMs = Date.now();
    return received;
  }

  readonly #arrived = (): void => {
    this.stats.lastActivityMs = Date.now();
  };

  readonly #taken = (received: ReceivedMessage): ReceivedMessage => {
    this.stats.messagesReceived++;
    if (this.#overflow.length > 0) this.#refill();
    this.#hooks.taken?.(received);
    return received;
  };

  #refill(): void {
    const overflow = this.#overflow;
    while (overflow.length > 0 && this.#queue.offer(overflow[0]!.received, overflow[0]!.bytes)) {
      const { resume } = overflow.shift()!;
      if (overflow.length === 0 || overflow[0]!.resume !== resume) resume?.();
    }
  }
}

import type { Message } from "../protocol/message.js";
import { RpcError } from "../status/rpc-error.js";
import { activeTracing, type TraceSpan, type Tracing } from "../trace/tracing.js";
import { TransportError } from "../transport/errors.js";
import type { Transport } from "../transport/transport.js";
import { PendingEvents, type OverflowPolicy } from "./pending-events.js";
import { SubjectPattern } from "./subject.js";

/** An event as a subscriber sees it. */
export interface ReceivedEvent {
  /** The event's subject (`Event.name` or `Broadcast.topic`). */
  readonly subject: string;
  readonly message: Message;
  /** Address of the agent that published it (this agent's own address for local publishes). */
  readonly from: string;
}

/**
 * Handles one event. For a request published to the subject (`PubSub.request`), the value it
 * returns (or resolves to) is the reply.
 */
export type EventHandler = (event: ReceivedEvent) => unknown;

/** Options of one subscription. */
export interface SubscribeOptions {
  /** Subscribers sharing a queue group receive each event once between them. */
  queue?: string;
  /** Undelivered events held before `overflow` applies. Default 1,000. */
  maxPending?: number;
  /** What happens when `maxPending` events wait. Default "drop-oldest". */
  overflow?: OverflowPolicy;
}

/** An event waiting for its subscriber, and the reply channel when it is a request. */
export interface PendingEvent {
  readonly event: ReceivedEvent;
  readonly reply: ((outcome: { value: unknown } | { error: unknown }) => void) | undefined;
  /** Called once when the subscription takes the event or discards it (returns its publisher's credit). */
  readonly done?: (() => void) | undefined;
  /**
   * Called once when the event is settled: `true` after the handler finished with it (or a
   * `for await` loop took it), `false` when it was discarded unhandled (a durable event is then
   * delivered again).
   */
  readonly settled?: ((handled: boolean) => void) | undefined;
}

/** What a subscription needs from its PubSub. @internal */
export interface SubscriptionHost {
  /** The transport the events arrive on (for their consumer spans). */
  readonly transport: Transport;
  /** Reports a handler failure. */
  handlerFailed(error: unknown, subscription: Subscription, event: ReceivedEvent): void;
  /** Forgets the subscription (and tells the peers). */
  remove(subscription: Subscription): void;
}

/**
 * One subscription: a pattern, an optional queue group, and a bounded queue of events
 * delivered one at a time to its handler (or to a `for await` loop), in priority order when
 * it is behind, in publish order otherwise.
 */
export class Subscription implements AsyncIterable<ReceivedEvent> {
  readonly id: number;
  readonly pattern: string;
  readonly queue: string;
  readonly matcher: SubjectPattern;
  readonly #host: SubscriptionHost;
  readonly #handler: EventHandler | undefined;
  readonly #overflow: OverflowPolicy;
  readonly #pending: PendingEvents<PendingEvent>;
  #dropped = 0;
  #delivered = 0;
  #running = false;
  #closed: TransportError | undefined;
  #waiter: { resolve(result: IteratorResult<ReceivedEvent>): void; reject(error: unknown): void } | undefined;
  #space: { promise: Promise<void>; resolve(): void } | undefined;
  readonly #maxPending: number;

  /** @internal */
  constructor(host: SubscriptionHost, id: number, pattern: string, handler: EventHandler | undefined, options: SubscribeOptions) {
    this.matcher = new SubjectPattern(pattern);
    const maxPending = options.maxPending ?? 1000;
    if (!Number.isSafeInteger(maxPending) || maxPending < 1) throw new RangeError(`maxPending must be a positive integer, got ${maxPending}`);
    this.#host = host;
    this.id = id;
    this.pattern = pattern;
    this.queue = options.queue ?? "";
    this.#handler = handler;
    this.#overflow = options.overflow ?? "drop-oldest";
    this.#maxPending = maxPending;
    // "block": metered publishers keep within maxPending; the slack absorbs events published
    // before they learned of this subscription, past it the newest are dropped (and counted).
    this.#pending = new PendingEvents(this.#overflow === "block" ? 2 * maxPending : maxPending);
  }

  /** Publishers' window for a "block" subscription (its `maxPending`); 0 for the other policies. */
  get window(): number {
    return this.#overflow === "block" ? this.#maxPending : 0;
  }

  /** Resolves when a "block" subscription has room for a local publish; undefined when it has room now. */
  space(): Promise<void> | undefined {
    if (this.#overflow !== "block" || this.#closed !== undefined || this.#pending.size < this.#maxPending) return undefined;
    if (this.#space === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.#space = { promise, resolve };
    }
    return this.#space.promise;
  }

  /** Events discarded by the overflow policy. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Events handed to the handler or the loop. */
  get delivered(): number {
    return this.#delivered;
  }

  /** Events waiting. */
  get pending(): number {
    return this.#pending.size;
  }

  get isClosed(): boolean {
    return this.#closed !== undefined;
  }

  /** Stops the subscription: peers are told, queued events are discarded, a `for await` loop ends. */
  unsubscribe(): Promise<void> {
    if (this.#closed === undefined) {
      this.#host.remove(this);
      this.close(TransportError.closed(`subscription to ${this.pattern}`));
    }
    return Promise.resolve();
  }

  /** Queues an event, applying the overflow policy. @internal */
  deliver(pending: PendingEvent): void {
    if (this.#closed !== undefined) {
      pending.done?.();
      pending.settled?.(false);
      return;
    }
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      this.#delivered++;
      pending.done?.();
      pending.settled?.(true);
      pending.reply?.({ value: undefined });
      if (activeTracing !== undefined) this.#consumerSpan(activeTracing, pending.event).end(0);
      waiter.resolve({ value: pending.event, done: false });
      return;
    }
    const queue = this.#pending;
    if (queue.isFull) {
      switch (this.#overflow) {
        case "drop-newest":
        case "block":
          this.#dropped++;
          pending.done?.();
          pending.settled?.(false);
          pending.reply?.({ error: new TransportError("QueueFull", `subscriber to ${this.pattern} is full`) });
          return;
        case "drop-oldest": {
          this.#dropped++;
          const oldest = queue.dropOldest();
          oldest?.done?.();
          oldest?.settled?.(false);
          break;
        }
        case "error": {
          const error = new TransportError("QueueFull", `subscription to ${this.pattern} fell ${queue.capacity} events behind and was closed`);
          pending.done?.();
          pending.settled?.(false);
          this.#host.remove(this);
          this.close(error);
          return;
        }
      }
    }
    queue.push(pending, pending.event.message.priority);
    if (this.#handler !== undefined && !this.#running) void this.#run();
  }

  /** Ends the subscription with `error` (handlers stop, a loop ends or throws). @internal */
  close(error: TransportError): void {
    if (this.#closed !== undefined) return;
    this.#closed = error;
    for (const dropped of this.#pending.clear()) {
      dropped.done?.();
      dropped.settled?.(false);
    }
    this.#releaseSpace();
    const waiter = this.#waiter;
    this.#waiter = undefined;
    if (waiter === undefined) return;
    if (error.code === "Closed") waiter.resolve({ value: undefined, done: true });
    else waiter.reject(error);
  }

  [Symbol.asyncIterator](): AsyncIterator<ReceivedEvent> {
    if (this.#handler !== undefined) throw new TypeError("a subscription with a handler cannot also be iterated");
    return {
      next: () => {
        const next = this.#take();
        if (next !== undefined) {
          next.settled?.(true);
          next.reply?.({ value: undefined });
          if (activeTracing !== undefined) this.#consumerSpan(activeTracing, next.event).end(0);
          return Promise.resolve({ value: next.event, done: false });
        }
        if (this.#closed !== undefined) {
          return this.#closed.code === "Closed" ? Promise.resolve({ value: undefined, done: true }) : Promise.reject(this.#closed);
        }
        return new Promise((resolve, reject) => (this.#waiter = { resolve, reject }));
      },
      return: async () => {
        await this.unsubscribe();
        return { value: undefined, done: true };
      },
    };
  }

  /** The span of taking `event`: it continues the publisher's, named by the event's `traceparent` header. */
  #consumerSpan(tracing: Tracing, event: ReceivedEvent): TraceSpan {
    const transport = this.#host.transport;
    return tracing.start({ kind: "consumer", system: "swarm", service: "", method: event.subject, peer: event.from, transport }, undefined, event.message.headers);
  }

  #take(): PendingEvent | undefined {
    const next = this.#pending.shift();
    if (next !== undefined) {
      this.#delivered++;
      next.done?.();
      if (this.#space !== undefined && this.#pending.size < this.#maxPending) this.#releaseSpace();
    }
    return next;
  }

  #releaseSpace(): void {
    const space = this.#space;
    this.#space = undefined;
    space?.resolve();
  }

  async #run(): Promise<void> {
    this.#running = true;
    const handler = this.#handler!;
    try {
      for (let next = this.#take(); next !== undefined && this.#closed === undefined; next = this.#take()) {
        const { event, reply } = next;
        const tracing = activeTracing;
        const span = tracing === undefined ? undefined : this.#consumerSpan(tracing, event);
        try {
          let value = span === undefined ? handler(event) : span.run(handler, event);
          if (value instanceof Promise) value = await value;
          span?.end(0);
          reply?.({ value });
        } catch (error) {
          if (span !== undefined) {
            const failure = RpcError.from(error);
            span.end(failure.code, failure.rawMessage);
          }
          reply?.({ error });
          this.#host.handlerFailed(error, this, event);
        }
        // a handler that threw has had the event too: it is reported (onError), not delivered again
        next.settled?.(true);
      }
    } finally {
      this.#running = false;
    }
  }
}

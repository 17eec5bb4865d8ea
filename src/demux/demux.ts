import type { Cancel } from "../../generated/swarm/transport/v1/control.js";
import type { StreamFrame } from "../../generated/swarm/transport/v1/envelope.js";
import { Message, type Payload } from "../protocol/message.js";
import { BoundedQueue } from "../transport/bounded-queue.js";
import { TransportError } from "../transport/errors.js";
import { SENT } from "../transport/sent.js";
import { CallTable } from "./call-table.js";
import type { PeerGoneEvent, ReceivedMessage, ReceiveOptions, SendOptions, Transport } from "../transport/transport.js";

/** Replies to an exchange this endpoint started: Responses and the callee's stream frames for one correlation id. */
export interface ReplyHandler {
  /** The only peer whose replies are accepted; undefined accepts any (a request to a topic). */
  readonly peer: string | undefined;
  /** A Response or a callee StreamFrame for this correlation id, from `peer`. */
  onReply(received: ReceivedMessage): void;
  /** `address` (undefined: every peer, the transport closed) became unreachable. */
  onPeerGone(reason: string, address: string | undefined): void;
}

/** A call this endpoint serves: the caller's stream frames and its Cancel. */
export interface ServedHandler {
  onFrame(frame: StreamFrame, message: Message): void;
  onCancel(reason: string): void;
}

/**
 * Hears that a posted message could not be sent: a function, or an object whose method is
 * called (an exchange that posts many messages need not make a closure per message).
 */
export type SendErrorHandler = ((error: unknown) => void) | { onSendError(error: unknown): void };

/** Takes the messages of one lane; must not block (queue, or refuse, what it cannot take now). */
export type LaneHandler = (received: ReceivedMessage) => void;

/** Listens to the application's messages. */
export type MessageListener = (received: ReceivedMessage) => void;

/** Options of `createDemux`. */
export interface DemuxOptions {
  /** Application messages queued for `receive()` when no listener takes them. Default 1,024. */
  applicationQueueCapacity?: number;
  /** Bytes (wire-size bound) of queued application messages. Default 16 MiB. */
  applicationQueueBytes?: number;
}

/** Counters and gauges of one demultiplexer. */
export interface DemuxStats {
  /** Exchanges this endpoint started that wait for replies (RPC calls, topic requests). */
  pendingCalls: number;
  /** Calls this endpoint serves. */
  servedCalls: number;
  /** Replies and stream frames for exchanges that had finished (late) or went to another peer (spoofed). */
  staleMessages: number;
  /** Application messages dropped because its queue was full. */
  applicationDropped: number;
  /** Application messages queued for `receive()`. */
  applicationQueued: number;
  /** Errors reading the transport (a corrupt frame); reading goes on. */
  readErrors: number;
}

/**
 * Reads one transport and sorts what arrives, so RPC, pub/sub and the application share it
 * without competing for `receive()`:
 *
 *   Response, callee StreamFrame  ──▶ the exchange with that correlation id (from its peer only);
 *                                    a Response to an id this demux never issued: the application
 *   caller StreamFrame, Cancel    ──▶ the call being served for that peer and id
 *   Request                       ──▶ the "requests" lane (an RpcServer); none: refused, UNIMPLEMENTED
 *   Event, Broadcast, interest    ──▶ the "events" lane (a PubSub); none: to the application
 *   everything else               ──▶ the application: listeners, or receive() / for await
 *
 * Create one per transport with `createDemux(transport)` and hand it to `createClient`,
 * `createServer` and `createPubSub`; read the transport only through it from then on. It never
 * waits on a consumer: backpressure is per call (stream credit) and per subscription, so one
 * slow consumer cannot stall the others. The application's queue is bounded; past the bound
 * messages are dropped and counted.
 */
export class Demux implements AsyncIterable<ReceivedMessage> {
  readonly transport: Transport;
  readonly #calls = new CallTable<ReplyHandler>();
  readonly #served = new Map<string, Map<number, ServedHandler>>();
  readonly #lanes: { requests?: LaneHandler; events?: LaneHandler } = {};
  readonly #listeners = new Set<MessageListener>();
  readonly #application: BoundedQueue<ReceivedMessage>;
  readonly #counters = { staleMessages: 0, applicationDropped: 0, readErrors: 0 };
  readonly #stop = new AbortController();
  readonly #unwatch: () => void;
  #firstCallId: number;
  #nextCallId: number;
  #reading = false;
  #closed = false;

  constructor(transport: Transport, options: DemuxOptions = {}) {
    this.transport = transport;
    this.#application = new BoundedQueue(options.applicationQueueCapacity ?? 1024, options.applicationQueueBytes ?? 16 * 1024 * 1024);
    this.#unwatch = transport.onPeerGone(this.#peerGone);
    // A random start: correlation ids are not a guessable per-process count.
    this.#nextCallId = this.#firstCallId = 1 + Math.floor(Math.random() * 0x3f_ffff_ffff);
    this.#read();
  }

  get localAddress(): string {
    return this.transport.localAddress;
  }

  /** A fresh correlation id for an exchange started here. */
  nextCallId(): number {
    const id = this.#nextCallId++;
    if (this.#nextCallId > Number.MAX_SAFE_INTEGER) this.#nextCallId = this.#firstCallId = 1;
    return id;
  }

  /** Routes replies for `id` to `handler` until `removeCall(id)`. */
  addCall(id: number, handler: ReplyHandler): void {
    this.#calls.set(id, handler);
    this.#read();
  }

  removeCall(id: number): void {
    this.#calls.delete(id);
  }

  /** Routes the caller's stream frames and Cancel for call `id` from `from` to `handler`. */
  addServed(from: string, id: number, handler: ServedHandler): void {
    let calls = this.#served.get(from);
    if (calls === undefined) this.#served.set(from, (calls = new Map()));
    calls.set(id, handler);
  }

  removeServed(from: string, id: number): void {
    // The per-peer map stays (no churn per call); it goes when the peer does.
    this.#served.get(from)?.delete(id);
  }

  /**
   * Takes the messages of `lane` ("requests": Request envelopes; "events": Event, Broadcast and
   * the pub/sub interest controls). One handler per lane; throws when the lane is taken.
   * Returns a function that gives the lane back (its messages then go to the application).
   */
  handle(lane: "requests" | "events", handler: LaneHandler): () => void {
    if (this.#lanes[lane] !== undefined) {
      const owner = lane === "requests" ? "an RpcServer" : "a PubSub";
      throw new Error(`the "${lane}" lane of the demux on "${this.localAddress}" is already taken (by ${owner}); use that one`);
    }
    this.#lanes[lane] = handler;
    this.#read();
    return () => {
      if (this.#lanes[lane] === handler) delete this.#lanes[lane];
    };
  }

  /** Listens to the application's messages (instead of the queue); returns an unsubscribe function. */
  onMessage(listener: MessageListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The next application message, waiting if none is queued. Rejects with `Closed` once the demux or transport is closed. */
  receive(options?: ReceiveOptions): Promise<ReceivedMessage> {
    this.#read();
    return this.#application.take(options?.signal);
  }

  /** Application messages until the demux or its transport closes. */
  async *[Symbol.asyncIterator](): AsyncIterator<ReceivedMessage> {
    for (;;) {
      try {
        yield await this.receive();
      } catch (error) {
        if (TransportError.is(error, "Closed")) return;
        throw error;
      }
    }
  }

  /**
   * Sends `payload` to `to` in a new envelope from this endpoint. Never throws or rejects: a
   * failed send goes to `onError` (default: ignored, as for a Cancel to a vanished peer).
   * `options` bound how long the send may wait (see `SendOptions`).
   */
  post(to: string, payload: Payload, headers?: Record<string, string>, onError?: SendErrorHandler, options?: SendOptions): void {
    const message = Message.create(this.localAddress, payload);
    if (headers !== undefined) message.envelope.headers = headers;
    const sent = this.transport.send(to, message, options);
    if (sent === SENT) return;
    if (onError === undefined) sent.then(undefined, ignore);
    else if (typeof onError === "function") sent.then(undefined, onError);
    else sent.then(undefined, (error: unknown) => onError.onSendError(error));
  }

  stats(): DemuxStats {
    let served = 0;
    for (const calls of this.#served.values()) served += calls.size;
    return { pendingCalls: this.#calls.size, servedCalls: served, applicationQueued: this.#application.size, ...this.#counters };
  }

  /**
   * Stops reading the transport (which stays open): exchanges waiting for replies fail as if
   * every peer had gone, served calls are cancelled, `receive()` rejects with `Closed`. Idempotent.
   */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    this.#stop.abort();
    this.#unwatch();
    this.#endAll("demux closed");
    this.#application.close(TransportError.closed(`demux on "${this.localAddress}"`));
    return Promise.resolve();
  }

  /** Starts the read loop unless it runs (it stops when the transport's receive fails with Closed). */
  #read(): void {
    if (this.#reading || this.#closed) return;
    this.#reading = true;
    void this.#loop();
  }

  async #loop(): Promise<void> {
    const transport = this.transport;
    const options = { signal: this.#stop.signal };
    for (;;) {
      try {
        this.#dispatch(await transport.receive(options));
        for (let next = transport.tryReceive(); next !== undefined && !this.#closed; next = transport.tryReceive()) this.#dispatch(next);
      } catch (error) {
        if (this.#closed) break;
        if (TransportError.is(error, "Closed") || transport.state !== "open") {
          this.#reading = false;
          this.#endAll(TransportError.is(error, "Closed") ? "transport closed" : String(error));
          if (transport.state !== "open") this.#application.close(TransportError.closed(`transport "${this.localAddress}"`));
          return;
        }
        // A corrupt frame (or similar) was reported for this read only: count it and go on.
        this.#counters.readErrors++;
      }
    }
    this.#reading = false;
  }

  #dispatch(received: ReceivedMessage): void {
    const { from, message } = received;
    const payload = message.envelope.payload;
    switch (payload?.$case) {
      case "response": {
        const id = payload.value.correlationId;
        const call = this.#calls.get(id);
        if (call !== undefined && (call.peer === undefined || call.peer === from)) call.onReply(received);
        else if (this.#issued(id)) this.#counters.staleMessages++;
        else this.#toApplication(received); // an answer to a request the application sent itself
        return;
      }
      case "stream": {
        const frame = payload.value;
        if (frame.fromCallee) {
          const call = this.#calls.get(frame.correlationId);
          if (call !== undefined && call.peer === from) call.onReply(received);
          else this.#counters.staleMessages++;
        } else {
          const served = this.#served.get(from)?.get(frame.correlationId);
          if (served !== undefined) served.onFrame(frame, message);
          else this.#counters.staleMessages++;
        }
        return;
      }
      case "request": {
        const handler = this.#lanes.requests;
        if (handler !== undefined) return handler(received);
        // Nobody serves here: say so at once rather than let the caller wait for its deadline.
        const text = `no RPC server on "${this.localAddress}" (method ${JSON.stringify(payload.value.method)})`;
        this.transport.send(from, Message.errorResponse(this.localAddress, payload.value.correlationId, UNIMPLEMENTED, text)).then(undefined, ignore);
        return;
      }
      case "event":
      case "broadcast":
        return this.#toLane(this.#lanes.events, received);
      case "control": {
        const operation = payload.value.operation;
        switch (operation?.$case) {
          case "cancel":
            return this.#cancel(from, operation.value);
          case "subscribe":
          case "unsubscribe":
          case "interestSync":
          case "eventCredit":
            return this.#toLane(this.#lanes.events, received);
        }
      }
    }
    this.#toApplication(received);
  }

  /** Whether `id` is a correlation id this demux handed out (a reply to it is never the application's). */
  #issued(id: number): boolean {
    return id >= this.#firstCallId && id < this.#nextCallId;
  }

  #toLane(handler: LaneHandler | undefined, received: ReceivedMessage): void {
    if (handler !== undefined) handler(received);
    else this.#toApplication(received);
  }

  #toApplication(received: ReceivedMessage): void {
    if (this.#listeners.size > 0) {
      for (const listener of this.#listeners) listener(received);
      return;
    }
    if (!this.#application.offer(received, received.message.sizeUpperBound())) this.#counters.applicationDropped++;
  }

  #cancel(from: string, cancel: Cancel): void {
    const served = this.#served.get(from)?.get(cancel.correlationId);
    if (served !== undefined) served.onCancel(cancel.reason || "cancelled");
    else this.#counters.staleMessages++;
  }

  #endAll(reason: string): void {
    this.#peerGone({ address: undefined, reason });
  }

  readonly #peerGone = (event: PeerGoneEvent): void => {
    const reason = event.address === undefined ? event.reason : `peer "${event.address}" is gone (${event.reason})`;
    for (const call of this.#calls.values()) {
      if (event.address === undefined || call.peer === event.address) call.onPeerGone(reason, event.address);
    }
    for (const [from, calls] of [...this.#served]) {
      if (event.address !== undefined && from !== event.address) continue;
      for (const call of [...calls.values()]) call.onCancel(reason);
      this.#served.delete(from);
    }
  };
}

/** A demultiplexer reading `transport` (see `Demux`): one per transport. */
export function createDemux(transport: Transport, options?: DemuxOptions): Demux {
  return new Demux(transport, options);
}

function ignore(): void {}

/** gRPC's UNIMPLEMENTED (see Status): the answer to a request nobody serves. */
const UNIMPLEMENTED = 12;

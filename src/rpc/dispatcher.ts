import type { Cancel } from "../../generated/swarm/transport/v1/control.js";
import type { Request, Response, StreamFrame } from "../../generated/swarm/transport/v1/envelope.js";
import { toData, type Body } from "../protocol/data.js";
import { Message, nextMessageId, type Payload } from "../protocol/message.js";
import { TransportError } from "../transport/errors.js";
import type { PeerGoneEvent, ReceivedMessage, Transport } from "../transport/transport.js";
import { DeadlineScheduler, type Expirable } from "./deadline-scheduler.js";
import { Status } from "./status.js";

/** What the dispatcher needs from a pending client call. @internal */
export interface ClientCallHandle {
  /** The callee; undefined accepts answers from any peer (a request to a topic). */
  readonly peer: string | undefined;
  onResponse(response: Response, message: Message): void;
  onFrame(frame: StreamFrame, message: Message): void;
  onPeerGone(reason: string, address: string | undefined): void;
}

/** What the dispatcher needs from a call being served. @internal */
export interface ServerCallHandle {
  onFrame(frame: StreamFrame, message: Message): void;
  onCancel(reason: string): void;
}

/** Runs a request for a registered method. @internal */
export type RequestHandler = (message: Message, request: Request, from: string) => void;

/** Told about messages that are not RPC traffic (events, broadcasts, heartbeats, other control). */
export type MessageListener = (received: ReceivedMessage) => void;

/** Counters and gauges of the RPC layer on one transport (see `rpcStats`). */
export interface DispatcherStats {
  /** Client calls waiting for their outcome. */
  pendingCalls: number;
  /** Calls being served. */
  servedCalls: number;
  /** Client calls with a deadline still scheduled. */
  scheduledDeadlines: number;
  /** Responses and stream frames for calls that had already finished (late or spoofed). */
  staleMessages: number;
  /** Requests for methods nobody registered. */
  unimplemented: number;
  /** Non-RPC messages that arrived with no listener. */
  unhandled: number;
}

const dispatchers = new WeakMap<Transport, CallDispatcher>();

/**
 * The RPC layer's hold on one transport: it owns the transport's receive side (once a client
 * or server exists on a transport, read other messages with `onMessage`, not `receive()`),
 * routes responses and stream frames to the calls waiting for them, requests to registered
 * methods, cancels to calls being served, and fails the calls of peers that vanish.
 * Receives drain in bursts: one `receive()`, then `tryReceive()` until the queue is empty.
 * @internal
 */
export class CallDispatcher {
  readonly transport: Transport;
  readonly #counters = { staleMessages: 0, unimplemented: 0, unhandled: 0 };
  /** Deadlines of this transport's client calls, on one timer. */
  readonly deadlines = new DeadlineScheduler<Expirable>();
  readonly #calls = new Map<number, ClientCallHandle>();
  readonly #methods = new Map<string, RequestHandler>();
  readonly #served = new Map<string, Map<number, ServerCallHandle>>();
  readonly #listeners = new Set<MessageListener>();
  #running = false;
  #held: Promise<unknown> | undefined;

  private constructor(transport: Transport) {
    this.transport = transport;
    transport.onPeerGone(this.#peerGone);
  }

  /** The dispatcher of `transport`, created on first use. */
  static of(transport: Transport): CallDispatcher {
    let dispatcher = dispatchers.get(transport);
    if (dispatcher === undefined) {
      dispatcher = new CallDispatcher(transport);
      dispatchers.set(transport, dispatcher);
    }
    return dispatcher;
  }

  get localAddress(): string {
    return this.transport.localAddress;
  }

  /** A snapshot of the counters and gauges. */
  stats(): DispatcherStats {
    let served = 0;
    for (const calls of this.#served.values()) served += calls.size;
    return { pendingCalls: this.#calls.size, servedCalls: served, scheduledDeadlines: this.deadlines.size, ...this.#counters };
  }

  /** A fresh correlation id for a call from this process. */
  nextCallId(): number {
    return nextMessageId();
  }

  addCall(id: number, call: ClientCallHandle): void {
    this.#calls.set(id, call);
    this.#start();
  }

  removeCall(id: number): void {
    this.#calls.delete(id);
  }

  /** Registers `handler` for `method`; throws when the method already has one. */
  addMethod(method: string, handler: RequestHandler): void {
    if (this.#methods.has(method)) throw new Error(`method ${method} is already served on transport "${this.localAddress}"`);
    this.#methods.set(method, handler);
    this.#start();
  }

  removeMethod(method: string, handler: RequestHandler): void {
    if (this.#methods.get(method) === handler) this.#methods.delete(method);
  }

  addServed(from: string, id: number, call: ServerCallHandle): void {
    let calls = this.#served.get(from);
    if (calls === undefined) this.#served.set(from, (calls = new Map()));
    calls.set(id, call);
  }

  removeServed(from: string, id: number): void {
    // The per-peer map stays (no churn per call); it goes when the peer does.
    this.#served.get(from)?.delete(id);
  }

  /** Listens to non-RPC messages; returns an unsubscribe function. */
  onMessage(listener: MessageListener): () => void {
    this.#listeners.add(listener);
    this.#start();
    return () => this.#listeners.delete(listener);
  }

  /**
   * Sends `payload` to `to` as a new envelope with `headers`. Never throws or rejects: a failed
   * send is reported to `onError` (default: ignored, as for a Cancel to a vanished peer).
   */
  send(to: string, payload: Payload, headers?: Record<string, string>, onError?: (error: unknown) => void): void {
    const message = Message.create(this.localAddress, payload);
    if (headers !== undefined) message.envelope.headers = headers;
    this.transport.send(to, message).then(undefined, onError ?? ignore);
  }

  /** Answers request `id` from `to` with an error status (and JSON or bytes `details`). */
  sendError(
    to: string,
    id: number,
    code: Status,
    text: string,
    trailers: Record<string, string> = {},
    headers?: Record<string, string>,
    details?: unknown,
  ): void {
    const error = { code, message: text, details: details === undefined ? undefined : toData(details as Body) };
    this.send(to, { $case: "response", value: { correlationId: id, outcome: { $case: "error", value: error }, trailers } }, headers);
  }

  /**
   * Stops reading the transport until `until` settles: a consumer that chose to block
   * publishers (pub/sub overflow "block") holds the reader, the transport's bounded queue
   * fills, and senders wait. Stalls every consumer of this transport meanwhile.
   */
  hold(until: Promise<unknown>): void {
    this.#held = this.#held === undefined ? until : Promise.all([this.#held, until]);
  }

  #start(): void {
    if (this.#running) return;
    this.#running = true;
    void this.#run();
  }

  async #run(): Promise<void> {
    const transport = this.transport;
    try {
      for (;;) {
        if (this.#held !== undefined) await this.#releaseHold();
        this.#dispatch(await transport.receive());
        for (let next = this.#held === undefined ? transport.tryReceive() : undefined; next !== undefined; next = this.#held === undefined ? transport.tryReceive() : undefined) {
          this.#dispatch(next);
        }
      }
    } catch (error) {
      // receive() rejects only when the transport is closed (or broke): every call is over.
      this.#running = false;
      this.#peerGone({ address: undefined, reason: TransportError.is(error, "Closed") ? "transport closed" : String(error) });
    }
  }

  async #releaseHold(): Promise<void> {
    const held = this.#held;
    await held?.then(undefined, () => undefined);
    if (this.#held === held) this.#held = undefined;
  }

  #dispatch(received: ReceivedMessage): void {
    const { from, message } = received;
    const payload = message.envelope.payload;
    switch (payload?.$case) {
      case "response": {
        const call = this.#calls.get(payload.value.correlationId);
        if (call !== undefined && (call.peer === undefined || call.peer === from)) call.onResponse(payload.value, message);
        else this.#counters.staleMessages++;
        return;
      }
      case "stream": {
        const frame = payload.value;
        const call = frame.fromCallee ? this.#calls.get(frame.correlationId) : this.#served.get(from)?.get(frame.correlationId);
        if (call !== undefined && (!frame.fromCallee || (call as ClientCallHandle).peer === from)) call.onFrame(frame, message);
        else this.#counters.staleMessages++;
        return;
      }
      case "request": {
        const request = payload.value;
        const handler = this.#methods.get(request.method);
        if (handler !== undefined) {
          handler(message, request, from);
        } else {
          this.#counters.unimplemented++;
          this.sendError(from, request.correlationId, Status.UNIMPLEMENTED, `method ${JSON.stringify(request.method)} is not served by "${this.localAddress}"`);
        }
        return;
      }
      case "control":
        if (payload.value.operation?.$case === "cancel") {
          this.#cancel(from, payload.value.operation.value);
          return;
        }
        break;
    }
    if (this.#listeners.size === 0) {
      this.#counters.unhandled++;
      return;
    }
    for (const listener of this.#listeners) listener(received);
  }

  #cancel(from: string, cancel: Cancel): void {
    const call = this.#served.get(from)?.get(cancel.correlationId);
    if (call !== undefined) call.onCancel(cancel.reason || "cancelled");
    else this.#counters.staleMessages++;
  }

  readonly #peerGone = (event: PeerGoneEvent): void => {
    const reason = event.address === undefined ? event.reason : `peer "${event.address}" is gone (${event.reason})`;
    for (const call of [...this.#calls.values()]) {
      if (event.address === undefined || call.peer === event.address) call.onPeerGone(reason, event.address);
    }
    for (const [from, calls] of [...this.#served]) {
      if (event.address !== undefined && from !== event.address) continue;
      for (const call of [...calls.values()]) call.onCancel(reason);
      this.#served.delete(from);
    }
  };
}

function ignore(): void {}

/**
 * Reads the non-RPC messages (events, broadcasts, heartbeats, control) of a transport whose
 * receive side the RPC layer owns. Returns an unsubscribe function.
 */
export function onMessage(transport: Transport, listener: MessageListener): () => void {
  return CallDispatcher.of(transport).onMessage(listener);
}

/** The RPC layer's counters for `transport`: calls pending, served, deadlines, stale and unhandled messages. */
export function rpcStats(transport: Transport): DispatcherStats {
  return CallDispatcher.of(transport).stats();
}

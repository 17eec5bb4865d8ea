import type { Data } from "../../generated/swarm/transport/v1/data.js";
import type { Response, StreamFrame } from "../../generated/swarm/transport/v1/envelope.js";
import type { Demux, ReplyHandler } from "../demux/demux.js";
import { dataBytes, dataJson, toData, type Body } from "../protocol/data.js";
import type { Message } from "../protocol/message.js";
import { RpcError } from "../status/rpc-error.js";
import { Status } from "../status/status.js";
import { activeTracing, parentSpan, withTraceHeaders, type TraceSpan, type Tracing } from "../trace/tracing.js";
import type { ReceivedMessage } from "../transport/transport.js";
import type { CallContext } from "./call-context.js";
import type { CallOptions } from "./call-options.js";
import { activeCallContext } from "./call-scope.js";
import { CallSends } from "./call-sends.js";
import type { DeadlineScheduler } from "./deadline-scheduler.js";
import { UNTYPED, type MethodInfo } from "./definitions.js";
import { STREAM_WINDOW, StreamCredit, StreamInbox } from "./stream-inbox.js";
import { readTyped, TypedData } from "./typed-data.js";
import { monotonicNow } from "../transport/monotonic-clock.js";

/** What a call shares with the client that made it: the demux, the defaults and the limits. @internal */
export interface CallerState {
  readonly demux: Demux;
  /** Deadlines of the client's calls, on one timer. */
  readonly deadlines: DeadlineScheduler<ClientCall>;
  /** Deadline of calls that set none, in ms; 0 for none. */
  readonly timeoutMs: number;
  readonly maxInFlight: number;
  /** Metadata sent with every call. */
  readonly metadata: Record<string, string> | undefined;
  /** Calls in flight now. */
  inFlight: number;
}

/**
 * One client call of any kind, from start to outcome: its deadline (its own, or what is left of
 * its parent's), its sends (bounded by that deadline, see CallSends), its streams and credit, and
 * every way it can end. @internal
 */
export class ClientCall implements ReplyHandler {
  readonly peer: string;
  readonly id: number;
  deadlineAt = Infinity;
  deadlineSlot = -1;
  readonly #caller: CallerState;
  readonly #info: MethodInfo;
  readonly #options: CallOptions;
  readonly #resolve: ((value: unknown) => void) | undefined;
  readonly #reject: ((error: unknown) => void) | undefined;
  #inbox: StreamInbox<Data> | undefined;
  #credit: StreamCredit | undefined;
  #sends: CallSends | undefined;
  #parent: CallContext | undefined;
  #span: TraceSpan | undefined;
  #done = false;
  #headerSeen = false;
  #trailers: Record<string, string> | undefined;
  /** Listens to the caller's signal; made only for calls that have one. */
  #onAbort: (() => void) | undefined;

  constructor(
    caller: CallerState,
    info: MethodInfo,
    peer: string,
    options: CallOptions,
    resolve: ((value: unknown) => void) | undefined,
    reject: ((error: unknown) => void) | undefined,
  ) {
    this.#caller = caller;
    this.#info = info;
    this.peer = peer;
    this.#options = options;
    this.#resolve = resolve;
    this.#reject = reject;
    this.id = caller.demux.nextCallId();
  }

  /** The response stream (server- and bidi-streaming calls). */
  responses(): AsyncIterable<unknown> {
    const inbox = (this.#inbox = new StreamInbox<Data>(
      STREAM_WINDOW,
      (credit) => this.#sendFrame({ $case: "credit", value: credit }),
      () => this.#fail(new RpcError(Status.CANCELLED, "the caller stopped reading the response stream"), true),
    ));
    const type = this.#info.responseType;
    const path = this.#info.path;
    return {
      [Symbol.asyncIterator]: () => {
        const it = inbox[Symbol.asyncIterator]();
        return {
          next: () =>
            it.next().then((r) => {
              if (!r.done) return { done: false, value: this.#read(r.value, type, path) };
              if (this.#trailers !== undefined) this.#options.onTrailer?.(this.#trailers);
              this.#trailers = undefined;
              return r;
            }),
          return: () => it.return!(),
        };
      },
    };
  }

  start(request: unknown): void {
    const caller = this.#caller;
    const options = this.#options;
    const tracing = activeTracing;
    if (tracing !== undefined) this.#span = this.#startSpan(tracing);
    const signal = options.signal;
    if (signal?.aborted) return this.#settleError(new RpcError(Status.CANCELLED, `call to ${this.#info.path} cancelled before it started`, { cause: signal.reason }));
    if (caller.inFlight >= caller.maxInFlight) {
      return this.#settleError(new RpcError(Status.RESOURCE_EXHAUSTED, `client is at its limit of ${caller.maxInFlight} calls in flight`));
    }
    const parent = options.parent === undefined ? activeCallContext() : (options.parent ?? undefined);
    let timeoutMs = deadlineMs(options.deadline, caller.timeoutMs);
    if (timeoutMs <= 0 && options.deadline !== undefined) {
      return this.#settleError(new RpcError(Status.DEADLINE_EXCEEDED, `deadline of ${this.#info.path} passed before the call started`));
    }
    if (parent !== undefined) {
      const inherited = inheritedTimeoutMs(parent, timeoutMs, options.deadline !== undefined);
      if (typeof inherited !== "number") return this.#settleError(this.#parentEnded(parent, inherited.reason));
      timeoutMs = inherited;
      this.#parent = parent;
    }
    caller.inFlight++;
    const demux = caller.demux;
    demux.addCall(this.id, this);
    if (timeoutMs > 0) {
      this.deadlineAt = monotonicNow() + timeoutMs;
      caller.deadlines.add(this);
    }
    this.#sends = new CallSends(timeoutMs > 0);
    if (signal !== undefined) {
      this.#onAbort = () => this.#fail(new RpcError(Status.CANCELLED, `call to ${this.#info.path} cancelled`, { cause: signal.reason }), true);
      signal.addEventListener("abort", this.#onAbort, { once: true });
    }
    parent?.signal.addEventListener("abort", this.#onParentAbort, { once: true });
    const streamingRequest = this.#info.kind === "client-streaming" || this.#info.kind === "bidi-streaming";
    let metadata = caller.metadata === undefined ? options.metadata : { ...caller.metadata, ...options.metadata };
    if (this.#span !== undefined) metadata = withTraceHeaders(metadata, this.#span);
    const params = streamingRequest ? undefined : this.#info.requestType === UNTYPED ? toData(request as Body) : new TypedData(request, this.#info.requestType);
    demux.post(
      this.peer,
      { $case: "request", value: { correlationId: this.id, method: this.#info.path, params, timeoutMs: Math.min(timeoutMs, 0xffff_ffff) } },
      metadata,
      this,
      this.#sends,
    );
    if (streamingRequest) {
      this.#credit = new StreamCredit(STREAM_WINDOW);
      void this.#pump(request as AsyncIterable<unknown> | Iterable<unknown>);
    }
  }

  onReply(received: ReceivedMessage): void {
    const payload = received.message.envelope.payload;
    if (payload?.$case === "response") this.#onResponse(payload.value, received.message);
    else if (payload?.$case === "stream") this.#onFrame(payload.value, received.message);
  }

  #onResponse(response: Response, message: Message): void {
    if (this.#done) return;
    this.#seeHeader(message);
    const outcome = response.outcome;
    // A stream's trailers reach the caller after its last message, when it reads the end.
    if (this.#inbox === undefined || outcome?.$case === "error") this.#options.onTrailer?.(response.trailers);
    else this.#trailers = response.trailers;
    if (outcome?.$case === "error") {
      const { code, message: text, details } = outcome.value;
      const detail = dataJson(details) ?? dataBytes(details);
      this.#fail(new RpcError(code as Status, text, { details: detail, metadata: response.trailers }), false);
      return;
    }
    this.#finish();
    if (this.#inbox !== undefined) {
      this.#span?.end(Status.OK);
      this.#inbox.end();
      return;
    }
    let value: unknown;
    try {
      value = readResponse(outcome?.value, this.#info.responseType, this.#info.path);
    } catch (error) {
      this.#span?.end(Status.INTERNAL, (error as RpcError).rawMessage);
      this.#reject!(error);
      return;
    }
    this.#span?.end(Status.OK);
    this.#resolve!(value);
  }

  #onFrame(frame: StreamFrame, message: Message): void {
    if (this.#done) return;
    const body = frame.frame;
    if (body?.$case === "message") {
      this.#seeHeader(message);
      if (this.#inbox === undefined || !this.#inbox.push(body.value)) {
        this.#fail(new RpcError(Status.RESOURCE_EXHAUSTED, `server sent more response messages than its credit of ${STREAM_WINDOW}`), true);
      }
    } else if (body?.$case === "credit") {
      this.#credit?.grant(body.value);
    }
  }

  onPeerGone(reason: string): void {
    this.#fail(new RpcError(Status.UNAVAILABLE, `${this.#info.path} to "${this.peer}" failed: ${reason}`), false);
  }

  /** The deadline passed (called by the dispatcher's DeadlineScheduler). */
  expire(): void {
    this.#fail(new RpcError(Status.DEADLINE_EXCEEDED, `deadline exceeded calling ${this.#info.path} on "${this.peer}"`), true);
  }

  /** The call being served that this call was made for ended: so does this one. */
  readonly #onParentAbort = (): void => {
    const parent = this.#parent!;
    this.#fail(this.#parentEnded(parent, parent.signal.reason), true);
  };

  /** DEADLINE_EXCEEDED when the parent's deadline passed, else CANCELLED. */
  #parentEnded(parent: CallContext, reason: unknown): RpcError {
    const path = this.#info.path;
    if (reason === PARENT_DEADLINE || (reason instanceof RpcError && reason.code === Status.DEADLINE_EXCEEDED)) {
      return new RpcError(Status.DEADLINE_EXCEEDED, `deadline of the call being served (${parent.method.path}) exceeded calling ${path} on "${this.peer}"`, { cause: reason });
    }
    return new RpcError(Status.CANCELLED, `the call being served (${parent.method.path}) ended, so ${path} on "${this.peer}" is cancelled`, { cause: reason });
  }

  /** A response message as the caller's type; one that cannot be read fails the call (INTERNAL) and cancels it. */
  #read(data: Data, type: MethodInfo["responseType"], path: string): unknown {
    try {
      return readResponse(data, type, path);
    } catch (error) {
      this.#fail(error as RpcError, true);
      throw error;
    }
  }

  /** A message of this call could not be sent (see Demux.post). */
  onSendError(error: unknown): void {
    this.#fail(RpcError.from(error), false);
  }

  async #pump(requests: AsyncIterable<unknown> | Iterable<unknown>): Promise<void> {
    const credit = this.#credit!;
    const type = this.#info.requestType;
    let iterator: AsyncIterator<unknown> | Iterator<unknown> | undefined;
    try {
      iterator = Symbol.asyncIterator in requests ? requests[Symbol.asyncIterator]() : requests[Symbol.iterator]();
      for (;;) {
        const next = await iterator.next();
        if (next.done || this.#done) break;
        const wait = credit.acquire();
        if (wait !== undefined) await wait;
        if (this.#done) break;
        this.#sendFrame({ $case: "message", value: new TypedData(next.value, type) });
      }
      if (!this.#done) this.#sendFrame({ $case: "halfClose", value: {} });
    } catch (error) {
      this.#fail(new RpcError(Status.CANCELLED, `the request stream failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error }), true);
    } finally {
      if (this.#done && iterator?.return !== undefined) void Promise.resolve(iterator.return()).catch(() => undefined);
    }
  }

  #sendFrame(frame: StreamFrame["frame"]): void {
    this.#caller.demux.post(this.peer, { $case: "stream", value: { correlationId: this.id, frame, fromCallee: false } }, undefined, this, this.#sends);
  }

  #seeHeader(message: Message): void {
    if (this.#headerSeen) return;
    this.#headerSeen = true;
    this.#options.onHeader?.(message.headers);
  }

  #fail(error: RpcError, sendCancel: boolean): void {
    if (this.#done) return;
    this.#finish();
    if (sendCancel) {
      const reason = error.code === Status.DEADLINE_EXCEEDED ? "deadline exceeded" : "cancelled";
      this.#caller.demux.post(this.peer, { $case: "control", value: { operation: { $case: "cancel", value: { correlationId: this.id, reason } } } });
    }
    this.#settleError(error);
  }

  #settleError(error: RpcError): void {
    this.#done = true;
    this.#span?.end(error.code, error.rawMessage);
    this.#credit?.fail(error);
    if (this.#inbox !== undefined) this.#inbox.fail(error);
    else this.#reject!(error);
  }

  /** The span of this call, continuing the explicit parent's, else the active call's. */
  #startSpan(tracing: Tracing): TraceSpan {
    const info = this.#info;
    const transport = this.#caller.demux.transport;
    return tracing.start({ kind: "client", system: "swarm", service: info.service, method: info.name, peer: this.peer, transport }, parentSpan(this.#options.parent), undefined);
  }

  #finish(): void {
    this.#done = true;
    this.#credit?.fail(CALL_FINISHED);
    this.#sends?.end(CALL_FINISHED);
    const caller = this.#caller;
    caller.inFlight--;
    caller.demux.removeCall(this.id);
    if (this.deadlineAt !== Infinity) caller.deadlines.delete(this);
    if (this.#onAbort !== undefined) this.#options.signal?.removeEventListener("abort", this.#onAbort);
    this.#parent?.signal.removeEventListener("abort", this.#onParentAbort);
  }
}

function readResponse(data: Data | undefined, type: MethodInfo["responseType"], path: string): unknown {
  if (type === UNTYPED) return dataJson(data) ?? dataBytes(data);
  try {
    return readTyped(data, type, "response", path);
  } catch (error) {
    throw new RpcError(Status.INTERNAL, (error as RpcError).rawMessage ?? String(error), { cause: error });
  }
}

/**
 * The timeout of a call made for `parent`: the parent's remaining time, or the call's own
 * deadline (`ownMs`, 0 for none) when it set one (`explicit`) that is shorter. Without a parent
 * deadline, `ownMs` (the call's or the client's default). The parent's abort reason instead
 * when it has already ended.
 */
function inheritedTimeoutMs(parent: CallContext, ownMs: number, explicit: boolean): number | { reason: unknown } {
  if (parent.signal.aborted) return { reason: parent.signal.reason };
  const remaining = parent.remainingMs();
  if (remaining === undefined) return ownMs;
  if (remaining <= 0) return { reason: PARENT_DEADLINE };
  const inherited = Math.max(1, Math.ceil(remaining));
  return explicit && ownMs > 0 ? Math.min(ownMs, inherited) : inherited;
}

/**
 * ms until the deadline: a number is relative, a Date absolute; undefined uses the default (0:
 * none). A deadline given and already passed (≤ 0 ms left) gives 0 or less: the call fails
 * with DEADLINE_EXCEEDED before anything is sent, as in gRPC.
 */
function deadlineMs(deadline: number | Date | undefined, fallbackMs: number): number {
  if (deadline === undefined) return fallbackMs;
  const ms = deadline instanceof Date ? deadline.getTime() - Date.now() : deadline;
  return ms <= 0 ? 0 : Math.max(1, Math.ceil(ms));
}

const CALL_FINISHED = new RpcError(Status.CANCELLED, "call finished");
const PARENT_DEADLINE = new RpcError(Status.DEADLINE_EXCEEDED, "the deadline of the call being served passed");


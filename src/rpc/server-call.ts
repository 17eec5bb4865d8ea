import type { Data } from "../../generated/swarm/transport/v1/data.js";
import type { Request, StreamFrame } from "../../generated/swarm/transport/v1/envelope.js";
import type { Demux, ServedHandler } from "../demux/demux.js";
import { toData, type Body } from "../protocol/data.js";
import type { Message } from "../protocol/message.js";
import { RpcError } from "../status/rpc-error.js";
import { Status } from "../status/status.js";
import type { TraceSpan } from "../trace/tracing.js";
import { TransportError } from "../transport/errors.js";
import type { SendOptions } from "../transport/transport.js";
import type { CallContext } from "./call-context.js";
import { withCallContext } from "./call-scope.js";
import type { DeadlineScheduler } from "./deadline-scheduler.js";
import { UNTYPED, type MethodInfo } from "./definitions.js";
import { sendError } from "./send-error.js";
import { STREAM_WINDOW, StreamCredit, StreamInbox } from "./stream-inbox.js";
import { readTyped, TypedData } from "./typed-data.js";
import { monotonicNow } from "../transport/monotonic-clock.js";

/** Where a server reports what it cannot tell the caller (a reply that failed to send). */
export interface RpcLogger {
  error(message: string): void;
}

/** What a call shares with the server serving it. @internal */
export interface CallHost {
  readonly demux: Demux;
  /** Calls registered (reachable by Cancel, counted against the limit). */
  readonly active: Set<ServerCall>;
  /** The callee's own deadlines, on one timer. */
  readonly deadlines: DeadlineScheduler<ServerCall>;
  readonly logger: RpcLogger;
}

/**
 * One call being served: its context, its streams, its deadline, and how it ends.
 *
 * Deadline: the Request's `timeout_ms` counted from its arrival here, on this side's clock.
 * When it passes the call ends with DEADLINE_EXCEEDED (sent to the caller) and the handler's
 * signal aborts, whether or not the caller's Cancel ever arrives.
 *
 * Replies take the form of the request: JSON when the caller sent JSON (`params`, or for
 * streaming requests any JSON `params`, e.g. `null`), else protobuf bytes.
 * @internal
 */
export class ServerCall implements CallContext, ServedHandler {
  readonly method: MethodInfo;
  readonly peer: string;
  readonly metadata: Readonly<Record<string, string>>;
  /** Deadline on the `monotonicNow()` clock; Infinity for none. */
  readonly deadlineAt: number;
  deadlineSlot = -1;
  /** The call's span, when a tracer is installed (set by the server before the handler runs). */
  span: TraceSpan | undefined;
  #header: Record<string, string> | undefined;
  #trailer: Record<string, string> | undefined;
  #registered = false;
  readonly #host: CallHost;
  readonly #id: number;
  readonly #timeoutMs: number;
  readonly #json: boolean;
  #controller: AbortController | undefined;
  #replySends: ReplySends | undefined;
  #done = false;
  #headerSent = false;
  #inbox: StreamInbox<unknown> | undefined;
  #credit: StreamCredit | undefined;
  /** Hears of stream messages that could not be sent; made by the first one sent. */
  #onFrameError: ((error: unknown) => void) | undefined;

  constructor(host: CallHost, info: MethodInfo, from: string, message: Message, request: Request) {
    this.#host = host;
    this.method = info;
    this.peer = from;
    this.metadata = message.envelope.headers;
    this.#timeoutMs = request.timeoutMs;
    this.deadlineAt = request.timeoutMs > 0 ? monotonicNow() + request.timeoutMs : Infinity;
    this.#id = request.correlationId;
    this.span = undefined;
    // A TypedData came by reference (in-process): never JSON, and reading its `kind` would encode it.
    const params = request.params;
    this.#json = params !== undefined && !(params instanceof TypedData) && params.kind?.$case === "json" && info.responseType.toJSON !== undefined;
  }

  get deadline(): number | undefined {
    return this.deadlineAt === Infinity ? undefined : Date.now() + (this.deadlineAt - monotonicNow());
  }

  get header(): Record<string, string> {
    return (this.#header ??= {});
  }

  get trailer(): Record<string, string> {
    return (this.#trailer ??= {});
  }

  remainingMs(): number | undefined {
    return this.deadlineAt === Infinity ? undefined : this.deadlineAt - monotonicNow();
  }

  /**
   * Makes the call reachable by Cancel frames and peer loss, counted against the limit, and
   * held to its deadline. A unary handler that answers synchronously never needs it, so it is
   * done only once a call outlives its first turn (streams, async handlers).
   */
  register(): void {
    if (this.#registered || this.#done) return;
    this.#registered = true;
    this.#host.active.add(this);
    this.#host.demux.addServed(this.peer, this.#id, this);
    if (this.deadlineAt !== Infinity) this.#host.deadlines.add(this);
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#done) this.#controller.abort(new RpcError(Status.CANCELLED, "call already finished"));
    }
    return this.#controller.signal;
  }

  /** The deadline passed (called by the server's DeadlineScheduler). */
  expire(): void {
    this.fail(new RpcError(Status.DEADLINE_EXCEEDED, `deadline of ${this.#timeoutMs} ms exceeded serving ${this.method.path} for "${this.peer}"`));
  }

  /** The request stream of a client- or bidi-streaming call; a message that cannot be decoded fails the call (INVALID_ARGUMENT). */
  openInbox(): AsyncIterable<unknown> {
    const type = this.method.requestType;
    const inbox = (this.#inbox = new StreamInbox<unknown>(STREAM_WINDOW, (credit) => this.#sendFrame({ $case: "credit", value: credit }), () => undefined));
    const path = this.method.path;
    const read = (data: Data): unknown => {
      try {
        return readTyped(data, type, "request message", path);
      } catch (error) {
        this.fail(error);
        throw error;
      }
    };
    return {
      [Symbol.asyncIterator]: () => {
        const it = inbox[Symbol.asyncIterator]();
        return { next: () => it.next().then((r) => (r.done ? r : { done: false, value: read(r.value as Data) })), return: () => it.return!() };
      },
    };
  }

  onFrame(frame: StreamFrame): void {
    const body = frame.frame;
    switch (body?.$case) {
      case "message":
        if (this.#inbox === undefined || !this.#inbox.push(body.value)) {
          this.fail(new RpcError(Status.RESOURCE_EXHAUSTED, `caller sent more request messages than its credit of ${STREAM_WINDOW}`));
        }
        return;
      case "halfClose":
        this.#inbox?.end();
        return;
      case "credit":
        this.#credit?.grant(body.value);
        return;
    }
  }

  onCancel(reason: string): void {
    // The caller's deadline passed first (its clock runs ahead of ours by the transit time).
    if (reason === DEADLINE_REASON) this.abandon(new RpcError(Status.DEADLINE_EXCEEDED, `the caller's deadline for ${this.method.path} passed`));
    else this.abandon(new RpcError(Status.CANCELLED, `call cancelled by the caller: ${reason}`));
  }

  /** Ends the call without an outcome on the wire (the caller cancelled, vanished, or the server closed). */
  abandon(error: RpcError): void {
    if (this.#done) return;
    this.#finish(error);
    if (error.code === Status.UNAVAILABLE) sendError(this.#host.demux, this.peer, this.#id, error.code, error.rawMessage, this.#trailer);
  }

  succeed(value: unknown): void {
    if (this.#done) return;
    this.#respond(this.#data(value) ?? EMPTY_DATA);
  }

  fail(error: unknown): void {
    if (this.#done) return;
    const rpcError = RpcError.from(error);
    const headers = this.#takeHeader();
    this.#finish(rpcError);
    const trailers = { ...rpcError.metadata, ...this.#trailer };
    sendError(this.#host.demux, this.peer, this.#id, rpcError.code, rpcError.rawMessage, trailers, headers, rpcError.details);
  }

  /** Runs `fn(arg)` with this call as the active one (see CallContextManager), and its span as the tracer's current one. */
  run<A, T>(fn: (arg: A) => T, arg: A): T {
    const span = this.span;
    if (span === undefined) return withCallContext(this, fn, arg);
    return span.run(() => withCallContext(this, fn, arg), undefined);
  }

  /** Sends each message of a handler's response stream, within the caller's credit, then the outcome. */
  async streamResponses(responses: AsyncIterable<unknown>): Promise<void> {
    const credit = (this.#credit = new StreamCredit(STREAM_WINDOW));
    let iterator: AsyncIterator<unknown> | undefined;
    try {
      iterator = responses[Symbol.asyncIterator]();
      for (;;) {
        const result = await this.run(nextOf, iterator);
        if (result.done || this.#done) break;
        const wait = credit.acquire();
        if (wait !== undefined) await wait;
        if (this.#done) break;
        this.#sendFrame({ $case: "message", value: this.#data(result.value)! }, this.#takeHeader());
      }
      if (!this.#done) this.#respond(undefined);
    } catch (error) {
      this.fail(error);
    } finally {
      if (this.#done && iterator?.return !== undefined) void Promise.resolve(iterator.return()).catch(() => undefined);
    }
  }

  /** A response message in the form the caller asked for. */
  #data(value: unknown): Data | undefined {
    const type = this.method.responseType;
    if (type === UNTYPED) return toData(value as Body);
    if (this.#json) return toData(type.toJSON!(value) as Body) ?? { kind: { $case: "json", value: null }, typeName: "" };
    return new TypedData(value, type);
  }

  /** The outcome: `result` for a unary or client-streaming call, nothing (unset) after a response stream. */
  #respond(result: Data | undefined): void {
    const headers = this.#takeHeader();
    this.#finish(undefined);
    const outcome = result === undefined ? undefined : { $case: "result" as const, value: result };
    this.#host.demux.post(this.peer, { $case: "response", value: { correlationId: this.#id, outcome, trailers: this.#trailer ?? {} } }, headers, this, this.#sendOptions());
  }

  #sendFrame(frame: StreamFrame["frame"], headers?: Record<string, string>): void {
    this.#host.demux.post(this.peer, { $case: "stream", value: { correlationId: this.#id, frame, fromCallee: true } }, headers, (this.#onFrameError ??= (error) => this.#frameNotSent(error)), this.#sendOptions());
  }

  /** A reply waits (for the connection, credit, queue space) until the call's deadline at most, else the transport's limit. */
  #sendOptions(): SendOptions | undefined {
    return this.deadlineAt === Infinity ? undefined : (this.#replySends ??= new ReplySends(this.deadlineAt));
  }

  /**
   * A stream message could not be sent. Transports refuse what they cannot encode before `send`
   * returns, so this runs before the handler's next message is sent: the call ends with the
   * status saying why, instead of a stream silently missing a message.
   */
  #frameNotSent(error: unknown): void {
    if (this.#done) return this.onSendError(error);
    const status = replyStatus(error);
    this.#log(error);
    if (status !== undefined) this.fail(new RpcError(status, this.#replyFailure(error)));
    else this.abandon(new RpcError(Status.CANCELLED, this.#replyFailure(error)));
  }

  /** The outcome could not be sent (see Demux.post): tell the caller why (when it can still be told), and log it. */
  onSendError(error: unknown): void {
    this.#log(error);
    const status = replyStatus(error);
    if (status !== undefined) sendError(this.#host.demux, this.peer, this.#id, status, this.#replyFailure(error), this.#trailer);
  }

  #replyFailure(error: unknown): string {
    return `the reply of ${this.method.path} could not be sent: ${error instanceof Error ? error.message : String(error)}`;
  }

  #log(error: unknown): void {
    if (TransportError.is(error, "Aborted")) return;
    this.#host.logger.error(`swarm-transport: RPC server on "${this.#host.demux.localAddress}": ${this.#replyFailure(error)} (call ${this.#id} from "${this.peer}")`);
  }

  /** The response headers, the first time only: they go on the callee's first message. */
  #takeHeader(): Record<string, string> | undefined {
    if (this.#headerSent) return undefined;
    this.#headerSent = true;
    return this.#header;
  }

  #finish(error: RpcError | undefined): void {
    this.#done = true;
    if (this.span !== undefined) this.span.end(error === undefined ? Status.OK : error.code, error?.rawMessage);
    if (this.#registered) {
      this.#host.active.delete(this);
      this.#host.demux.removeServed(this.peer, this.#id);
      if (this.deadlineAt !== Infinity) this.#host.deadlines.delete(this);
    }
    if (this.#inbox === undefined && this.#credit === undefined && this.#controller === undefined) return;
    const reason = error ?? new RpcError(Status.CANCELLED, "call finished");
    this.#inbox?.fail(reason);
    this.#credit?.fail(reason);
    this.#controller?.abort(reason);
  }
}

/** The `SendOptions` of a call's replies: what is left until its deadline, computed only if a send has to wait. */
class ReplySends implements SendOptions {
  readonly #deadlineAt: number;

  constructor(deadlineAt: number) {
    this.#deadlineAt = deadlineAt;
  }

  get timeoutMs(): number {
    return Math.max(1, this.#deadlineAt - monotonicNow());
  }
}

function nextOf(iterator: AsyncIterator<unknown>): Promise<IteratorResult<unknown>> {
  return iterator.next();
}

/**
 * The status a caller gets for a reply this side could not send: INTERNAL when it cannot be
 * encoded (a value its type cannot hold), RESOURCE_EXHAUSTED when it is too large, UNAVAILABLE
 * when the transport gave up waiting; undefined when the caller cannot be told (gone, closed).
 */
function replyStatus(error: unknown): Status | undefined {
  if (!TransportError.is(error)) return Status.INTERNAL;
  switch (error.code) {
    case "SerializationError":
      return Status.INTERNAL;
    case "MessageTooLarge":
      return Status.RESOURCE_EXHAUSTED;
    case "Timeout":
    case "QueueFull":
      return Status.UNAVAILABLE;
    default:
      return undefined;
  }
}

const EMPTY_DATA: Data = { kind: undefined, typeName: "" };
/** Cancel.reason of a caller whose deadline passed (see control.proto). */
const DEADLINE_REASON = "deadline exceeded";

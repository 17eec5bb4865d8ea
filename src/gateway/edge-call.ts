/**
 * One HTTP call carried to an agent as a swarm RPC (README "RPC on the wire"), from the
 * caller's side, with the HTTP side's backpressure tied to the swarm stream credit both ways:
 *
 *   HTTP request body ──frames──▶ send() ──StreamFrame{message}──▶ agent   (≤ its credit; false: pause the body)
 *   HTTP response     ◀─sink.message()◀──StreamFrame{message}──── agent   (credit granted back only while
 *                                                                          the HTTP side takes writes)
 *
 * So an agent has at most STREAM_WINDOW messages outstanding towards a slow HTTP client, and
 * the edge holds at most those plus the HTTP stream's own buffer. The edge never decodes
 * messages: they stay protobuf bytes. Client gone → Cancel to the agent; agent gone → UNAVAILABLE.
 */
import type { Data } from "../../generated/swarm/transport/v1/data.js";
import type { Response, StreamFrame } from "../../generated/swarm/transport/v1/envelope.js";
import type { ReplyHandler } from "../demux/demux.js";
import { dataBytes, dataJson } from "../protocol/data.js";
import type { Message } from "../protocol/message.js";
import { STREAM_WINDOW } from "../rpc/stream-inbox.js";
import { RpcError } from "../status/rpc-error.js";
import { Status } from "../status/status.js";
import { activeTracing, withTraceHeaders, type TraceSpan } from "../trace/tracing.js";
import type { ReceivedMessage } from "../transport/transport.js";
import type { EdgeCalls } from "./edge-calls.js";
import { monotonicNow } from "../transport/monotonic-clock.js";

/** Where an edge call's outcome goes: the protocol writing the HTTP response. */
export interface EdgeCallSink {
  /** The agent's response headers; once, before the first message or the end. */
  header(headers: Readonly<Record<string, string>>): void;
  /** One response message (protobuf bytes). false: the client is behind; call `resume()` once it drained. */
  message(data: Uint8Array): boolean;
  /** The call ended: OK (`error` undefined) or failed; with the agent's trailers. Not called after `cancel`. */
  end(error: RpcError | undefined, trailers: Readonly<Record<string, string>>): void;
  /** Response bytes the HTTP side holds for a client that has not taken them yet. */
  readonly bufferedBytes?: number;
}

/** One call from the HTTP edge to an agent. */
export class EdgeCall implements ReplyHandler {
  readonly peer: string;
  readonly id: number;
  deadlineAt = Infinity;
  deadlineSlot = -1;
  /** Called when request credit returns after `send` said false (resume reading the body). */
  onRequestCredit: (() => void) | undefined;
  readonly #calls: EdgeCalls;
  readonly #path: string;
  /** Where the outcome goes. */
  readonly sink: EdgeCallSink;
  #done = false;
  #headerSeen = false;
  /** Request messages the agent still accepts. */
  #credit = STREAM_WINDOW;
  /** Request messages waiting for credit, and a half-close waiting behind them. */
  #queued: Uint8Array[] | undefined;
  #halfClosePending = false;
  /** Response messages taken since credit was last granted back. */
  #consumed = 0;
  /** The HTTP side is behind: hold credit until `resume()`. */
  #blocked = false;
  /** The span of the hop to the agent, when a tracer is installed. */
  #span: TraceSpan | undefined;

  constructor(calls: EdgeCalls, peer: string, path: string, sink: EdgeCallSink) {
    this.#calls = calls;
    this.peer = peer;
    this.#path = path;
    this.sink = sink;
    this.id = calls.demux.nextCallId();
  }

  /**
   * Sends the Request: with `params` for unary and server-streaming calls, without (its
   * messages follow through `send`) for client- and bidi-streaming ones. `timeoutMs` 0: none.
   * `parent`: the span of the HTTP request, which the hop to the agent continues.
   */
  start(params: Uint8Array | undefined, streamingRequest: boolean, timeoutMs: number, metadata: Record<string, string> | undefined, parent?: TraceSpan): void {
    const calls = this.#calls;
    const tracing = activeTracing;
    if (tracing !== undefined) {
      const slash = this.#path.lastIndexOf("/");
      const start = { kind: "client", system: "swarm", service: this.#path.slice(1, slash), method: this.#path.slice(slash + 1), peer: this.peer, transport: calls.demux.transport } as const;
      this.#span = tracing.start(start, parent, undefined);
      metadata = withTraceHeaders(metadata, this.#span);
    }
    calls.started(this);
    calls.demux.addCall(this.id, this);
    if (timeoutMs > 0) {
      this.deadlineAt = monotonicNow() + timeoutMs;
      calls.deadlines.add(this);
    }
    const data: Data | undefined = streamingRequest ? undefined : { kind: { $case: "binary", value: params ?? EMPTY }, typeName: "" };
    const request = { correlationId: this.id, method: this.#path, params: data, timeoutMs: Math.min(timeoutMs, 0xffff_ffff) };
    calls.demux.post(this.peer, { $case: "request", value: request }, metadata, this.#onSendError);
  }

  /** One request message of a streaming request; false: out of credit (it is queued; wait for `onRequestCredit`). */
  send(data: Uint8Array): boolean {
    if (this.#done) return true;
    if (this.#queued !== undefined || this.#credit === 0) {
      (this.#queued ??= []).push(data);
      return false;
    }
    this.#credit--;
    this.#frame({ $case: "message", value: { kind: { $case: "binary", value: data }, typeName: "" } });
    return true;
  }

  /** The request stream ended. */
  halfClose(): void {
    if (this.#done) return;
    if (this.#queued !== undefined) this.#halfClosePending = true;
    else this.#frame({ $case: "halfClose", value: {} });
  }

  /** The HTTP client went away: Cancel to the agent (its handler's signal aborts); the sink hears nothing more. */
  cancel(reason: string): void {
    if (this.#done) return;
    this.#finish(Status.CANCELLED, reason);
    this.#postCancel("cancelled");
    void reason;
  }

  /** The HTTP side drained: grant the agent the credit held back. */
  resume(): void {
    this.#blocked = false;
    if (!this.#done && this.#consumed > 0) this.#grant();
  }

  /** Ends the call with `error` (the edge is closing, or the request could not be read), cancelling it at the agent. */
  abandon(error: RpcError): void {
    if (this.#done) return;
    this.#finish(error.code, error.rawMessage);
    this.#postCancel(error.code === Status.DEADLINE_EXCEEDED ? "deadline exceeded" : "cancelled");
    this.sink.end(error, NO_TRAILERS);
  }

  onReply(received: ReceivedMessage): void {
    const payload = received.message.envelope.payload;
    if (payload?.$case === "stream") this.#onFrame(payload.value, received.message);
    else if (payload?.$case === "response") this.#onResponse(payload.value, received.message);
  }

  onPeerGone(reason: string): void {
    if (this.#done) return;
    const error = new RpcError(Status.UNAVAILABLE, `${this.#path} on "${this.peer}" failed: ${reason}`);
    this.#finish(error.code, error.rawMessage);
    this.sink.end(error, NO_TRAILERS);
  }

  /** The deadline passed (the shared DeadlineScheduler calls it). */
  expire(): void {
    this.abandon(new RpcError(Status.DEADLINE_EXCEEDED, `deadline exceeded calling ${this.#path} on "${this.peer}"`));
  }

  #onFrame(frame: StreamFrame, message: Message): void {
    if (this.#done) return;
    const body = frame.frame;
    if (body?.$case === "message") {
      this.#seeHeader(message);
      const bytes = dataBytes(body.value);
      if (bytes === undefined) return this.abandon(new RpcError(Status.INTERNAL, `${this.#path}: the agent sent a JSON message; the HTTP edge carries protobuf messages`));
      this.#consumed++;
      if (!this.sink.message(bytes)) this.#blocked = true;
      else if (!this.#blocked && this.#consumed * 2 >= STREAM_WINDOW) this.#grant();
    } else if (body?.$case === "credit") {
      this.#credit += body.value;
      this.#flushQueued();
    }
  }

  #onResponse(response: Response, message: Message): void {
    if (this.#done) return;
    this.#seeHeader(message);
    const outcome = response.outcome;
    if (outcome?.$case === "error") this.#finish(outcome.value.code, outcome.value.message);
    else this.#finish(Status.OK, undefined);
    if (outcome?.$case === "error") {
      const { code, message: text, details } = outcome.value;
      const detail = dataJson(details) ?? dataBytes(details);
      this.sink.end(new RpcError(code as Status, text, { details: detail, metadata: response.trailers }), response.trailers);
      return;
    }
    const result = outcome?.value;
    if (result?.kind !== undefined) {
      const bytes = dataBytes(result);
      if (bytes === undefined) {
        this.sink.end(new RpcError(Status.INTERNAL, `${this.#path}: the agent answered with JSON; the HTTP edge carries protobuf messages`), response.trailers);
        return;
      }
      this.sink.message(bytes);
    }
    this.sink.end(undefined, response.trailers);
  }

  #seeHeader(message: Message): void {
    if (this.#headerSeen) return;
    this.#headerSeen = true;
    this.sink.header(message.envelope.headers);
  }

  #grant(): void {
    const credit = this.#consumed;
    this.#consumed = 0;
    this.#frame({ $case: "credit", value: credit });
  }

  #flushQueued(): void {
    const queued = this.#queued;
    if (queued === undefined) return;
    let sent = 0;
    while (sent < queued.length && this.#credit > 0) {
      this.#credit--;
      this.#frame({ $case: "message", value: { kind: { $case: "binary", value: queued[sent++]! }, typeName: "" } });
    }
    queued.splice(0, sent);
    if (queued.length > 0) return;
    this.#queued = undefined;
    if (this.#halfClosePending) {
      this.#halfClosePending = false;
      this.#frame({ $case: "halfClose", value: {} });
    }
    this.onRequestCredit?.();
  }

  #frame(frame: StreamFrame["frame"]): void {
    this.#calls.demux.post(this.peer, { $case: "stream", value: { correlationId: this.id, frame, fromCallee: false } }, undefined, this.#onSendError);
  }

  #postCancel(reason: string): void {
    this.#calls.demux.post(this.peer, { $case: "control", value: { operation: { $case: "cancel", value: { correlationId: this.id, reason } } } });
  }

  readonly #onSendError = (error: unknown): void => {
    if (this.#done) return;
    const failure = RpcError.from(error);
    this.#finish(failure.code, failure.rawMessage);
    this.sink.end(failure, NO_TRAILERS);
  };

  #finish(code: Status, message: string | undefined): void {
    this.#done = true;
    this.#span?.end(code, message);
    this.#queued = undefined;
    const calls = this.#calls;
    calls.finished(this);
    calls.demux.removeCall(this.id);
    if (this.deadlineAt !== Infinity) calls.deadlines.delete(this);
  }
}

const EMPTY = new Uint8Array(0);
const NO_TRAILERS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * A call over one of the enveloped protocols (gRPC, gRPC-Web, Connect streaming): request
 * frames read from the body as they come and carried to the agent (as the Request's params for
 * unary and server-streaming methods, as stream frames otherwise), response messages framed
 * back as the agent sends them. Each protocol supplies its `EnvelopeDialect`: how the response
 * starts, how it ends (HTTP trailers, a trailer frame, an end-stream message).
 *
 * Backpressure: a request message the agent has no credit for pauses the body (so HTTP/2 flow
 * control stops the client); a response write the client is not taking holds the agent's credit
 * until the response drains. gzip work runs off the event loop in order, one message at a time.
 */
import type { OutgoingHttpHeaders } from "node:http";
import { RpcError } from "../status/rpc-error.js";
import { Status } from "../status/status.js";
import type { CallPlan } from "./call-plan.js";
import { gunzip, gzip } from "./compression.js";
import { EdgeCall, type EdgeCallSink } from "./edge-call.js";
import type { EdgeCalls } from "./edge-calls.js";
import { GatewayError } from "./gateway-error.js";
import { COMPRESSED, encodeFrame, FrameReader, TRAILERS, type Frame } from "./grpc-framing.js";
import type { HttpExchange } from "./http-exchange.js";
import { responseFields } from "./metadata.js";

/** What differs between gRPC, gRPC-Web and Connect streaming. */
export interface EnvelopeDialect {
  /** The response's headers (the agent's response headers are added to them). */
  headers(): OutgoingHttpHeaders;
  /** Whether the response ends with HTTP trailers (gRPC) rather than in the body. */
  readonly httpTrailers: boolean;
  /** Request frame flags other than COMPRESSED that are allowed (none of the three has any). */
  readonly text: boolean;
  /** Ends the response of a call that failed before any response was sent, if the protocol has a shorter form (gRPC's trailers-only); false to end normally. */
  endEarly(exchange: HttpExchange, headers: OutgoingHttpHeaders, error: RpcError, trailers: Readonly<Record<string, string>>): boolean;
  /** Ends a started response: trailers, a trailer frame or an end-stream message (`frame` writes one body frame). */
  end(exchange: HttpExchange, error: RpcError | undefined, trailers: Readonly<Record<string, string>>, frame: (flags: number, data: Uint8Array) => void): void;
}

/** How the request's messages and the response's are encoded on the wire. */
export interface EnvelopeEncoding {
  /** Request frames flagged COMPRESSED are gzip (the client said so); false: such a frame is an error. */
  readonly requestGzip: boolean;
  /** Compress response messages of at least `compressMinBytes` (the client accepts gzip). */
  readonly responseGzip: boolean;
}

/** The edge's side of every enveloped call. */
export interface EnvelopeHost {
  readonly calls: EdgeCalls;
  /** Largest request or response message, in bytes (after inflation). */
  readonly maxMessageBytes: number;
  readonly compressMinBytes: number;
  /** Told when the call has ended (metrics). */
  observe(plan: CallPlan, code: Status, bytesIn: number, bytesOut: number): void;
}

/** One enveloped call, from the request's first byte to the response's end. */
export class EnvelopedCall implements EdgeCallSink {
  readonly #exchange: HttpExchange;
  readonly #plan: CallPlan;
  readonly #host: EnvelopeHost;
  readonly #dialect: EnvelopeDialect;
  readonly #encoding: EnvelopeEncoding;
  readonly #reader: FrameReader;
  readonly #call: EdgeCall;
  #streaming: boolean;
  #started = false;
  #finished = false;
  #requests: Uint8Array[] = [];
  #headers: Record<string, string> = {};
  /** In-order gzip work on the request / the response, while any is pending. */
  #inbound: Promise<void> | undefined;
  #outbound: Promise<void> | undefined;
  #textRest = "";
  /** gRPC-Web text: response bytes not yet making a whole base64 group. */
  #textCarry: Buffer | undefined;
  /** Response bytes waiting in #outbound (gzip and writes in order). */
  #outboundBytes = 0;
  #bytesIn = 0;
  #bytesOut = 0;

  constructor(exchange: HttpExchange, plan: CallPlan, host: EnvelopeHost, dialect: EnvelopeDialect, encoding: EnvelopeEncoding) {
    this.#exchange = exchange;
    this.#plan = plan;
    this.#host = host;
    this.#dialect = dialect;
    this.#encoding = encoding;
    this.#reader = new FrameReader(host.maxMessageBytes);
    this.#call = new EdgeCall(host.calls, plan.target, plan.path, this);
    this.#streaming = plan.kind === "client-streaming" || plan.kind === "bidi-streaming";
  }

  /** Starts reading the request (and, for streaming requests, the call at once). */
  run(): void {
    const body = this.#exchange.body;
    this.#exchange.onClose(this.#onClose);
    if (this.#streaming) this.#start(undefined);
    this.#call.onRequestCredit = () => {
      if (this.#inbound === undefined) body.resume();
    };
    body.on("data", this.#onData);
    body.on("end", this.#onEnd);
    body.on("error", this.#onClose);
  }

  // ---- the request

  readonly #onData = (chunk: Buffer): void => {
    if (this.#finished) return;
    this.#bytesIn += chunk.length;
    try {
      const bytes = this.#dialect.text ? this.#fromBase64(chunk) : chunk;
      for (const frame of this.#reader.push(bytes)) this.#feed(frame);
    } catch (error) {
      this.#fail(error);
    }
  };

  readonly #onEnd = (): void => {
    if (this.#finished) return;
    if (this.#reader.partial || this.#textRest.length > 0) return this.#fail(new GatewayError(Status.INVALID_ARGUMENT, "the request body ends inside a message"));
    if (this.#inbound !== undefined) void this.#inbound.then(() => this.#requestEnded());
    else this.#requestEnded();
  };

  #feed(frame: Frame): void {
    if ((frame.flags & ~COMPRESSED) !== 0) throw new GatewayError(Status.INVALID_ARGUMENT, `request message flags 0x${frame.flags.toString(16)} are not valid here`);
    const compressed = (frame.flags & COMPRESSED) !== 0;
    if (compressed && !this.#encoding.requestGzip) throw new GatewayError(Status.INTERNAL, "a request message is flagged compressed, but the request names no message encoding");
    if (!compressed && this.#inbound === undefined) return this.#accept(frame.data);
    // gzip runs asynchronously: keep the order, and stop reading while it is behind
    this.#exchange.body.pause();
    const next = (this.#inbound ?? Promise.resolve()).then(async () => {
      const data = compressed ? await gunzip(frame.data, this.#host.maxMessageBytes) : frame.data;
      if (!this.#finished) this.#accept(data);
    });
    this.#inbound = next;
    next.then(
      () => {
        if (this.#inbound !== next) return;
        this.#inbound = undefined;
        if (!this.#finished && !this.#exchange.body.readableEnded) this.#exchange.body.resume();
      },
      (error: unknown) => this.#fail(error),
    );
  }

  #accept(data: Uint8Array): void {
    const message = this.#plan.codec.request(data);
    if (!this.#streaming) {
      this.#requests.push(message);
      if (this.#plan.kind !== undefined && this.#requests.length > 1) throw new GatewayError(Status.INVALID_ARGUMENT, `${this.#plan.path} takes one request message, got more`);
      return;
    }
    if (!this.#call.send(message)) this.#exchange.body.pause();
  }

  #requestEnded(): void {
    if (this.#finished) return;
    if (this.#streaming) return this.#call.halfClose();
    const requests = this.#requests;
    this.#requests = [];
    if (requests.length === 1) return this.#start(requests[0]);
    if (this.#plan.kind !== undefined) return this.#fail(new GatewayError(Status.INVALID_ARGUMENT, `${this.#plan.path} takes one request message, got none`));
    // a method the edge knows nothing of, without exactly one message: carry it as a stream
    this.#streaming = true;
    this.#start(undefined);
    for (const message of requests) this.#call.send(message);
    this.#call.halfClose();
  }

  #start(params: Uint8Array | undefined): void {
    this.#started = true;
    const { timeoutMs, metadata, span } = this.#plan;
    this.#call.start(params, this.#streaming, timeoutMs, metadata, span);
  }

  #fromBase64(chunk: Buffer): Uint8Array {
    const text = this.#textRest + chunk.toString("latin1").replace(/\s+/g, "");
    const whole = text.length - (text.length % 4);
    this.#textRest = text.slice(whole);
    return decodeBase64Segments(text.slice(0, whole));
  }

  // ---- the response (EdgeCallSink)

  get bufferedBytes(): number {
    return this.#exchange.bufferedBytes + this.#outboundBytes;
  }

  header(headers: Readonly<Record<string, string>>): void {
    this.#headers = responseFields(headers, {});
  }

  message(data: Uint8Array): boolean {
    if (this.#finished) return true;
    let bytes: Uint8Array;
    try {
      bytes = this.#plan.codec.response(data);
    } catch (error) {
      this.#call.abandon(RpcError.from(error));
      return true;
    }
    if (bytes.length > this.#host.maxMessageBytes) {
      this.#call.abandon(new RpcError(Status.RESOURCE_EXHAUSTED, `response message of ${bytes.length} bytes is over the limit of ${this.#host.maxMessageBytes} bytes`));
      return true;
    }
    if (this.#outbound === undefined && !(this.#encoding.responseGzip && bytes.length >= this.#host.compressMinBytes)) {
      const ok = this.#writeFrame(0, bytes);
      if (!ok) this.#exchange.onDrain(this.#resume);
      return ok;
    }
    this.#outboundBytes += bytes.length;
    const next = (this.#outbound ?? Promise.resolve()).then(async () => {
      this.#outboundBytes -= bytes.length;
      const compress = this.#encoding.responseGzip && bytes.length >= this.#host.compressMinBytes;
      const deflated = compress ? await gzip(bytes) : bytes;
      // incompressible messages go as they are
      const smaller = compress && deflated.length < bytes.length;
      if (!this.#finished && !this.#writeFrame(smaller ? COMPRESSED : 0, smaller ? deflated : bytes)) await new Promise<void>((resolve) => this.#exchange.onDrain(resolve));
    });
    this.#outbound = next;
    void next.then(() => {
      if (this.#outbound !== next) return;
      this.#outbound = undefined;
      this.#call.resume();
    });
    return false;
  }

  end(error: RpcError | undefined, trailers: Readonly<Record<string, string>>): void {
    if (this.#outbound !== undefined) void this.#outbound.then(() => this.#endNow(error, trailers));
    else this.#endNow(error, trailers);
  }

  readonly #resume = (): void => this.#call.resume();

  #endNow(error: RpcError | undefined, trailers: Readonly<Record<string, string>>): void {
    if (this.#finished) return;
    this.#finished = true;
    const exchange = this.#exchange;
    this.#host.observe(this.#plan, error?.code ?? Status.OK, this.#bytesIn, this.#bytesOut);
    if (exchange.closed) return;
    const fields = responseFields(trailers, {});
    if (!exchange.responded && error !== undefined && this.#dialect.endEarly(exchange, this.#responseHeaders(), error, fields)) return this.#drainRest();
    this.#respond();
    this.#dialect.end(exchange, error, fields, (flags, data) => void this.#writeFrame(flags, data));
    this.#drainRest();
  }

  #respond(): void {
    if (!this.#exchange.responded) this.#exchange.respond(200, this.#responseHeaders(), this.#dialect.httpTrailers);
  }

  #responseHeaders(): OutgoingHttpHeaders {
    return Object.assign(this.#dialect.headers(), this.#headers);
  }

  #writeFrame(flags: number, data: Uint8Array): boolean {
    this.#respond();
    const frame = encodeFrame(flags, data);
    this.#bytesOut += frame.length;
    if (!this.#dialect.text) return this.#exchange.write(frame);
    // one base64 text for the whole body: whole 3-byte groups now, padding only after the trailer frame
    const bytes = this.#textCarry === undefined ? frame : Buffer.concat([this.#textCarry, frame]);
    const whole = (flags & TRAILERS) !== 0 ? bytes.length : bytes.length - (bytes.length % 3);
    this.#textCarry = whole < bytes.length ? bytes.subarray(whole) : undefined;
    return this.#exchange.write(Buffer.from(bytes.subarray(0, whole).toString("base64"), "latin1"));
  }

  /** A request failed to read: the call (if started) is cancelled at the agent, the client told why. */
  #fail(error: unknown): void {
    if (this.#finished) return;
    const rpc = RpcError.from(error);
    if (this.#started) this.#call.abandon(rpc);
    else this.end(rpc, {});
  }

  /** After the answer: read what the client still sends (bounded by its flow control), so it sees the answer, not a reset. */
  #drainRest(): void {
    const body = this.#exchange.body;
    body.off("data", this.#onData);
    if (!body.readableEnded) body.resume();
  }

  readonly #onClose = (): void => {
    if (this.#finished) return;
    if (this.#started) this.#call.cancel("the HTTP client went away");
    this.#finished = true;
    this.#host.observe(this.#plan, Status.CANCELLED, this.#bytesIn, this.#bytesOut);
  };
}

/** Base64 that may be several padded segments end to end (gRPC-Web text bodies are written so). */
function decodeBase64Segments(text: string): Uint8Array {
  if (!text.includes("=")) return Buffer.from(text, "base64");
  const parts: Buffer[] = [];
  let from = 0;
  for (let quad = 0; quad < text.length; quad += 4) {
    if (text[quad + 3] === "=") {
      parts.push(Buffer.from(text.slice(from, quad + 4), "base64"));
      from = quad + 4;
    }
  }
  if (from < text.length) parts.push(Buffer.from(text.slice(from), "base64"));
  return Buffer.concat(parts);
}

/**
 * Connect unary calls: `POST` with `application/proto` or `application/json` (optionally
 * `content-encoding: gzip`), or `GET` with the message in the query (`?connect=v1&encoding=json
 * &message=...[&base64=1][&compression=gzip]`). The answer is the bare response message, or a
 * JSON error `{code, message, details}` with the HTTP status Connect maps the code to; the
 * agent's trailers come back as `trailer-<name>` headers. https://connectrpc.com/docs/protocol
 */
import type { OutgoingHttpHeaders } from "node:http";
import { RpcError } from "../status/rpc-error.js";
import { Status } from "../status/status.js";
import { answerAfterBody, readBody } from "./body.js";
import type { CallPlan } from "./call-plan.js";
import { acceptsGzip, gunzip, gzip, requestCompressed } from "./compression.js";
import { connectErrorResponse } from "./connect-error.js";
import { EdgeCall, type EdgeCallSink } from "./edge-call.js";
import type { EnvelopeHost } from "./enveloped-call.js";
import { GatewayError } from "./gateway-error.js";
import type { HttpExchange } from "./http-exchange.js";
import { responseFields } from "./metadata.js";
import { parseConnectTimeout } from "./timeout-parse.js";

/** What a Connect unary request says. */
export interface ConnectUnaryRequest {
  readonly json: boolean;
  readonly timeoutMs: number | undefined;
  readonly requestGzip: boolean;
  readonly responseGzip: boolean;
  /** GET: the message from the query; POST: undefined (it is the body). */
  readonly message: Uint8Array | undefined;
}

/** Whether a request is a Connect unary call: POST of `application/json` / `application/proto`, or GET. */
export function isConnectUnary(method: string, contentType: string): boolean {
  return method === "GET" || contentType === "application/json" || contentType === "application/proto";
}

/** Reads a Connect unary request's headers (and a GET's query); throws a GatewayError for what the edge cannot serve. */
export function parseConnectUnaryRequest(exchange: HttpExchange, contentType: string, maxTimeoutMs: number): ConnectUnaryRequest {
  const headers = exchange.headers;
  const timeoutMs = parseConnectTimeout(headers["connect-timeout-ms"], maxTimeoutMs);
  const responseGzip = acceptsGzip(headers["accept-encoding"]);
  if (exchange.method === "GET") return parseGet(exchange.query, timeoutMs, responseGzip);
  if (exchange.method !== "POST") throw new GatewayError(Status.UNIMPLEMENTED, `${exchange.method} is not served: Connect unary calls are POST or GET`, { httpStatus: 405 });
  const json = contentType === "application/json";
  if (json) {
    const charset = /charset\s*=\s*"?([\w-]+)/i.exec(headers["content-type"] ?? "")?.[1]?.toLowerCase();
    if (charset !== undefined && charset !== "utf-8" && charset !== "utf8") throw new GatewayError(Status.UNIMPLEMENTED, `charset ${charset} is not served (utf-8)`, { httpStatus: 415 });
  }
  const version = headers["connect-protocol-version"];
  if (version !== undefined && version !== "1") throw new GatewayError(Status.INVALID_ARGUMENT, `connect-protocol-version must be 1, got ${JSON.stringify(version)}`);
  const requestGzip = requestCompressed(headers["content-encoding"], "content-encoding", "accept-encoding");
  return { json, timeoutMs, requestGzip, responseGzip, message: undefined };
}

function parseGet(query: string, timeoutMs: number | undefined, responseGzip: boolean): ConnectUnaryRequest {
  const params = new URLSearchParams(query);
  const message = params.get("message");
  const encoding = params.get("encoding");
  if (message === null || encoding === null) throw new GatewayError(Status.UNIMPLEMENTED, "a Connect GET needs the query parameters encoding and message (or POST the message)", { httpStatus: 405 });
  const connect = params.get("connect");
  if (connect !== null && connect !== "v1") throw new GatewayError(Status.INVALID_ARGUMENT, `connect must be v1, got ${JSON.stringify(connect)}`);
  if (encoding !== "json" && encoding !== "proto") throw new GatewayError(Status.UNIMPLEMENTED, `encoding ${JSON.stringify(encoding)} is not served (json or proto)`, { httpStatus: 415 });
  const base64 = params.get("base64") === "1";
  if (!base64 && encoding === "proto") throw new GatewayError(Status.INVALID_ARGUMENT, "a proto message in the query must be base64 (base64=1)");
  const compression = params.get("compression") ?? undefined;
  const requestGzip = requestCompressed(compression, "compression", "accept-encoding");
  const bytes = base64 ? Buffer.from(message, "base64url") : Buffer.from(message, "utf8");
  return { json: encoding === "json", timeoutMs, requestGzip, responseGzip, message: bytes };
}

/** One Connect unary call: reads the body, calls the agent, answers with its response or a Connect error. */
export class ConnectUnaryCall implements EdgeCallSink {
  readonly #exchange: HttpExchange;
  readonly #plan: CallPlan;
  readonly #host: EnvelopeHost;
  readonly #request: ConnectUnaryRequest;
  readonly #maxBodyBytes: number;
  readonly #call: EdgeCall;
  #headers: Record<string, string> | undefined;
  #result: Uint8Array | undefined;
  #bytesIn = 0;
  #done = false;

  constructor(exchange: HttpExchange, plan: CallPlan, host: EnvelopeHost, request: ConnectUnaryRequest, maxBodyBytes: number) {
    this.#exchange = exchange;
    this.#plan = plan;
    this.#host = host;
    this.#request = request;
    this.#maxBodyBytes = maxBodyBytes;
    this.#call = new EdgeCall(host.calls, plan.target, plan.path, this);
  }

  run(): void {
    const request = this.#request;
    const exchange = this.#exchange;
    const body = request.message !== undefined ? Promise.resolve(request.message) : readBody(exchange.body, exchange.headers["content-length"], this.#maxBodyBytes);
    body.then(this.#onBody, (error: unknown) => {
      const rpc = RpcError.from(error);
      // over the limit: what the client still sends is read and dropped (bounded) around the answer
      if (rpc.code === Status.RESOURCE_EXHAUSTED) answerAfterBody(exchange, this.#maxBodyBytes, () => this.#answerError(rpc, {}));
      else this.#answerError(rpc, {});
    });
  }

  readonly #onBody = async (raw: Uint8Array): Promise<void> => {
    this.#bytesIn = raw.length;
    if (this.#exchange.closed) return this.#observe(Status.CANCELLED, 0);
    let params: Uint8Array;
    try {
      params = this.#plan.codec.request(this.#request.requestGzip ? await gunzip(raw, this.#host.maxMessageBytes) : raw);
    } catch (error) {
      return this.#answerError(RpcError.from(error), {});
    }
    this.#exchange.onClose(this.#onClose);
    this.#call.start(params, false, this.#plan.timeoutMs, this.#plan.metadata, this.#plan.span);
  };

  header(headers: Readonly<Record<string, string>>): void {
    this.#headers = responseFields(headers, {});
  }

  message(data: Uint8Array): boolean {
    this.#result = data;
    return true;
  }

  end(error: RpcError | undefined, trailers: Readonly<Record<string, string>>): void {
    if (error !== undefined) return this.#answerError(error, trailers);
    if (this.#done) return;
    let body: Uint8Array;
    try {
      body = this.#plan.codec.response(this.#result ?? EMPTY);
    } catch (failure) {
      return this.#answerError(RpcError.from(failure), trailers);
    }
    this.#done = true;
    const headers: OutgoingHttpHeaders = responseFields(trailers, { ...this.#headers }, "trailer-");
    headers["content-type"] = this.#plan.codec.json ? "application/json" : "application/proto";
    if (this.#request.responseGzip && body.length >= this.#host.compressMinBytes) void this.#answerCompressed(headers, body);
    else this.#answer(headers, body);
  }

  #answer(headers: OutgoingHttpHeaders, body: Uint8Array): void {
    this.#exchange.reply(200, headers, body);
    this.#observe(Status.OK, body.length);
  }

  async #answerCompressed(headers: OutgoingHttpHeaders, body: Uint8Array): Promise<void> {
    const deflated = await gzip(body);
    if (deflated.length >= body.length) return this.#answer(headers, body);
    headers["content-encoding"] = "gzip";
    this.#answer(headers, deflated);
  }

  #answerError(error: RpcError, trailers: Readonly<Record<string, string>>): void {
    if (this.#done) return;
    this.#done = true;
    const { httpStatus, body } = connectErrorResponse(error);
    const headers: OutgoingHttpHeaders = responseFields(trailers, { ...this.#headers }, "trailer-");
    headers["content-type"] = "application/json";
    this.#exchange.reply(httpStatus, headers, body);
    this.#observe(error.code, body.length);
  }

  #observe(code: Status, bytesOut: number): void {
    this.#host.observe(this.#plan, code, this.#bytesIn, bytesOut);
  }

  readonly #onClose = (): void => {
    if (this.#done) return;
    this.#done = true;
    this.#call.cancel("the HTTP client went away");
    this.#observe(Status.CANCELLED, 0);
  };
}

/** A refused Connect unary call: Connect's JSON error with its HTTP status (and Allow / Accept-Post where they help). */
export function connectUnaryRefusal(exchange: HttpExchange, error: RpcError): void {
  const { httpStatus, body } = connectErrorResponse(error);
  const headers: OutgoingHttpHeaders = { "content-type": "application/json", ...(error instanceof GatewayError ? error.headers : {}) };
  if (httpStatus === 405) headers["allow"] = "POST, GET";
  if (httpStatus === 415) headers["accept-post"] = "application/json, application/proto, application/connect+json, application/connect+proto, application/grpc, application/grpc-web";
  exchange.reply(httpStatus, headers, body);
}

const EMPTY = new Uint8Array(0);

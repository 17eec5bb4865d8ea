/**
 * The hub's HTTP edge: gRPC, gRPC-Web and Connect calls, over HTTP/1.1 or HTTP/2, carried to
 * the agents behind the hub as swarm RPCs (README "RPC on the wire"):
 *
 *   content type                       protocol            module
 *   application/grpc[+proto|+json]     gRPC                grpc.ts            ┐
 *   application/grpc-web[-text][+…]    gRPC-Web            grpc-web.ts        ├ enveloped-call.ts
 *   application/connect+proto|+json    Connect streaming   connect-streaming.ts┘
 *   application/proto|json, GET        Connect unary       connect-unary.ts
 *
 * Each request: protocol from the content type, its headers read (deadline, compression,
 * codec), the method's kind and JSON mapping and the target agent chosen (routing.ts), then
 * the call runs (edge-call.ts). Whatever is refused is answered in the protocol's own error
 * form, after the request body is drained (body.ts), so the client reads it.
 */
import type { OutgoingHttpHeaders } from "node:http";
import type { Demux } from "../demux/demux.js";
import type { ServiceDefinition } from "../rpc/definitions.js";
import { RpcError } from "../status/rpc-error.js";
import { Status } from "../status/status.js";
import { TRACEPARENT_HEADER, TRACESTATE_HEADER } from "../trace/trace-context.js";
import { activeTracing, type TraceSpan, type Tracing } from "../trace/tracing.js";
import type { ServiceTable } from "../transports/websocket/hub/service-table.js";
import { answerAfterBody } from "./body.js";
import type { CallPlan } from "./call-plan.js";
import { connectStreamingRefusal, isConnectStreaming, parseConnectStreamingRequest } from "./connect-streaming.js";
import { ConnectUnaryCall, connectUnaryRefusal, isConnectUnary, parseConnectUnaryRequest } from "./connect-unary.js";
import { EdgeCalls } from "./edge-calls.js";
import { EnvelopedCall, type EnvelopeHost } from "./enveloped-call.js";
import { GatewayError } from "./gateway-error.js";
import type { GatewayMethod } from "./gateway-schema.js";
import { grpcRefusal, isGrpc, mediaType, parseGrpcRequest, type GrpcRequest } from "./grpc.js";
import { grpcWebRefusal, isGrpcWeb, parseGrpcWebRequest } from "./grpc-web.js";
import type { HttpExchange } from "./http-exchange.js";
import { requestMetadata, TARGET_HEADER } from "./metadata.js";
import { EdgeRouter } from "./routing.js";

/** Settings of the HTTP edge (gRPC, gRPC-Web, Connect). */
export interface GatewayOptions {
  /** `.proto` files whose services the edge knows (JSON mapping, call kinds, reflection), loaded with protobufjs at start. */
  protoFiles?: string[];
  /** Folders searched for the imports of `protoFiles`. */
  importPaths?: string[];
  /**
   * ts-proto generic definitions (e.g. `ComputeServiceDefinition`), another source of schemas:
   * their JSON is what their generated `fromJSON`/`toJSON` make of it. A method a `.proto` in
   * `protoFiles` describes too takes its JSON from the `.proto`.
   */
  services?: ServiceDefinition[];
  /** Agent serving each service (full name → agent id) when no agent has announced it and the request names none. */
  routes?: Record<string, string>;
  /** Deadline of unary calls that set none, in ms (streams without one have none). Default 30,000. */
  timeoutMs?: number;
  /** Longer deadlines are cut to this, in ms. Default 300,000. */
  maxTimeoutMs?: number;
  /** Calls in flight at once; more get RESOURCE_EXHAUSTED. Default 1024. */
  maxInFlight?: number;
  /** Largest request body (Connect unary) and largest message, in bytes. Default the hub's `maxMessageSize`. */
  maxBodyBytes?: number;
  /** Response messages at least this long are gzip'd for clients that accept it, in bytes. Default 1024. */
  compressMinBytes?: number;
  /** Cross-origin calls from browsers: origins allowed ("*" for any). Default: none (same-origin only). */
  corsOrigins?: string[] | "*";
}

/** Told about every finished call (metrics). `method` is the path, or "unregistered" for one the edge knows nothing of. */
export type GatewayCallObserver = (method: string, code: Status, seconds: number, bytesIn: number, bytesOut: number) => void;

/** What the edge learnt from schemas and from the hub. */
export interface GatewaySources {
  readonly demux: Demux;
  readonly services: ServiceTable;
  readonly methods: ReadonlyMap<string, GatewayMethod>;
  readonly maxMessageSize: number;
  readonly observe?: GatewayCallObserver | undefined;
}

const PATH = /^\/([A-Za-z_][\w.]*)\/([A-Za-z_]\w*)$/;

type Protocol = "grpc" | "grpc-web" | "connect-stream" | "connect";

/** Serves gRPC, gRPC-Web and Connect requests; `handle` answers one exchange. */
export class Gateway {
  readonly #calls: EdgeCalls;
  readonly #router: EdgeRouter;
  readonly #host: EnvelopeHost;
  readonly #timeoutMs: number;
  readonly #maxTimeoutMs: number;
  readonly #maxInFlight: number;
  readonly #maxBodyBytes: number;
  readonly #cors: ReadonlySet<string> | "*" | undefined;
  readonly #observe: GatewayCallObserver | undefined;

  constructor(sources: GatewaySources, options: GatewayOptions) {
    this.#calls = new EdgeCalls(sources.demux);
    this.#router = new EdgeRouter(sources.methods, sources.services, this.#calls, options.routes ?? {});
    this.#timeoutMs = positive("timeoutMs", options.timeoutMs ?? 30_000);
    this.#maxTimeoutMs = positive("maxTimeoutMs", options.maxTimeoutMs ?? 300_000);
    this.#maxInFlight = positive("maxInFlight", options.maxInFlight ?? 1024);
    this.#maxBodyBytes = positive("maxBodyBytes", options.maxBodyBytes ?? sources.maxMessageSize);
    const origins = options.corsOrigins;
    this.#cors = origins === undefined ? undefined : origins === "*" ? "*" : new Set(origins);
    this.#observe = sources.observe;
    const observe = this.#observe;
    this.#host = {
      calls: this.#calls,
      maxMessageBytes: this.#maxBodyBytes,
      compressMinBytes: options.compressMinBytes ?? 1024,
      observe: (plan, code, bytesIn, bytesOut) => {
        plan.span?.end(code);
        observe?.(plan.label, code, (performance.now() - plan.started) / 1000, bytesIn, bytesOut);
      },
    };
  }

  /** Calls in flight now. */
  get inFlight(): number {
    return this.#calls.size;
  }

  /** Calls in flight to `agent`. */
  inFlightTo(agent: string): number {
    return this.#calls.inFlight(agent);
  }

  /** Response bytes the edge holds for HTTP clients that have not taken them yet (over every call). */
  get bufferedBytes(): number {
    return this.#calls.bufferedBytes();
  }

  /** Wire paths of the methods the edge has schemas for. */
  methods(): string[] {
    return this.#router.schemaPaths();
  }

  /** Ends every call in flight (UNAVAILABLE to their clients). */
  close(): void {
    this.#calls.close();
  }

  /** Answers one request; never throws (every failure is the protocol's own error response). */
  handle(exchange: HttpExchange): void {
    const started = performance.now();
    const contentType = mediaType(exchange.headers);
    if (this.#cors !== undefined && !this.#allowCors(exchange)) return;
    const protocol: Protocol | undefined = isGrpcWeb(contentType)
      ? "grpc-web"
      : isGrpc(contentType)
        ? "grpc"
        : isConnectStreaming(contentType)
          ? "connect-stream"
          : isConnectUnary(exchange.method, contentType)
            ? "connect"
            : undefined;
    let label = "unregistered";
    let span: TraceSpan | undefined;
    try {
      if (protocol === undefined) {
        if (exchange.method !== "POST") throw new GatewayError(Status.UNIMPLEMENTED, `${exchange.method} is not served: calls are POST (or Connect GET)`, { httpStatus: 405 });
        throw new GatewayError(Status.UNIMPLEMENTED, `content type ${JSON.stringify(contentType)} is not served`, { httpStatus: 415 });
      }
      const match = PATH.exec(exchange.path);
      if (match === null) throw new GatewayError(Status.UNIMPLEMENTED, `no procedure ${JSON.stringify(exchange.path)}: expected /package.Service/Method`, { httpStatus: 404 });
      const tracing = activeTracing;
      if (tracing !== undefined) span = requestSpan(tracing, exchange, protocol, match[1]!, match[2]!);
      const path = exchange.path;
      const method = this.#router.method(path);
      if (method.known) label = path;
      const parsed = this.#parse(protocol, exchange, contentType);
      if (protocol === "connect" && method.kind !== undefined && method.kind !== "unary") {
        throw new GatewayError(Status.UNIMPLEMENTED, `${path} is a ${method.kind} method: call it with a streaming protocol (Connect streaming, gRPC, gRPC-Web)`);
      }
      const codec = this.#router.codec(path, method, parsed.json);
      const target = this.#router.target(match[1]!, single(exchange.headers[TARGET_HEADER]));
      if (this.#calls.size >= this.#maxInFlight) throw new GatewayError(Status.RESOURCE_EXHAUSTED, `the hub's HTTP edge is at its limit of ${this.#maxInFlight} calls in flight`);
      const unary = protocol === "connect" || method.kind === "unary";
      const plan: CallPlan = {
        path,
        label,
        target,
        kind: protocol === "connect" ? "unary" : method.kind,
        timeoutMs: parsed.timeoutMs ?? (unary ? this.#timeoutMs : 0),
        metadata: requestMetadata(exchange.headers),
        codec,
        started,
        span,
      };
      if (protocol === "connect") new ConnectUnaryCall(exchange, plan, this.#host, parsed as ReturnType<typeof parseConnectUnaryRequest>, this.#maxBodyBytes).run();
      else new EnvelopedCall(exchange, plan, this.#host, (parsed as GrpcRequest).dialect, (parsed as GrpcRequest).encoding).run();
    } catch (error) {
      const rpc = RpcError.from(error);
      span?.end(rpc.code, rpc.rawMessage);
      this.#observe?.(label, rpc.code, (performance.now() - started) / 1000, 0, 0);
      answerAfterBody(exchange, this.#maxBodyBytes, () => refuse(protocol, exchange, rpc, contentType));
    }
  }

  #parse(protocol: Protocol, exchange: HttpExchange, contentType: string): { json: boolean; timeoutMs: number | undefined } {
    switch (protocol) {
      case "grpc":
        return parseGrpcRequest(exchange, contentType, this.#maxTimeoutMs);
      case "grpc-web":
        return parseGrpcWebRequest(exchange, contentType, this.#maxTimeoutMs);
      case "connect-stream":
        return parseConnectStreamingRequest(exchange, contentType, this.#maxTimeoutMs);
      case "connect":
        return parseConnectUnaryRequest(exchange, contentType, this.#maxTimeoutMs);
    }
  }

  /** CORS for browsers calling from another origin: answers preflights; false when the exchange was answered. */
  #allowCors(exchange: HttpExchange): boolean {
    const origin = exchange.headers["origin"];
    if (origin === undefined) return true;
    const allowed = this.#cors === "*" || (this.#cors as ReadonlySet<string>).has(origin);
    if (!allowed) return true;
    const headers: OutgoingHttpHeaders = { "access-control-allow-origin": this.#cors === "*" ? "*" : origin, vary: "Origin" };
    if (exchange.method === "OPTIONS") {
      headers["access-control-allow-methods"] = "POST, GET";
      headers["access-control-allow-headers"] = exchange.headers["access-control-request-headers"] ?? "*";
      headers["access-control-max-age"] = "7200";
      exchange.reply(204, headers, "");
      return false;
    }
    headers["access-control-expose-headers"] = "*";
    exchange.extraHeaders = headers;
    return true;
  }
}

/**
 * The span of an HTTP request: it continues the client's trace (the request's `traceparent`),
 * and its own `traceparent` goes back in the response headers.
 */
function requestSpan(tracing: Tracing, exchange: HttpExchange, protocol: Protocol, service: string, method: string): TraceSpan {
  const traceparent = single(exchange.headers[TRACEPARENT_HEADER]);
  const tracestate = single(exchange.headers[TRACESTATE_HEADER]);
  let headers: Record<string, string> | undefined;
  if (traceparent !== undefined) headers = tracestate === undefined ? { traceparent } : { traceparent, tracestate };
  const system = protocol === "connect" || protocol === "connect-stream" ? "connect_rpc" : "grpc";
  const span = tracing.start({ kind: "server", system, service, method, peer: "", transport: undefined }, undefined, headers);
  if (span.traceparent !== undefined) exchange.extraHeaders = { ...exchange.extraHeaders, [TRACEPARENT_HEADER]: span.traceparent };
  return span;
}

/** A refused call, answered as its protocol answers errors. */
function refuse(protocol: Protocol | undefined, exchange: HttpExchange, error: RpcError, contentType: string): void {
  switch (protocol) {
    case "grpc":
      return grpcRefusal(exchange, error);
    case "grpc-web":
      return grpcWebRefusal(exchange, error);
    case "connect-stream":
      return connectStreamingRefusal(exchange, error, contentType);
    default:
      return connectUnaryRefusal(exchange, error);
  }
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function positive(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`gateway.${name} must be a positive integer, got ${String(value)}`);
  return value;
}

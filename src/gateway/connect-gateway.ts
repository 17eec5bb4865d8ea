/**
 * Connect-protocol unary calls over plain HTTP, forwarded as RPCs to the agents behind a
 * transport endpoint (the hub):
 *
 *   POST /pkg.Service/Method ──▶ Request{method "/pkg.Service/Method", params: binary} ──▶ agent
 *   200 + body / Connect error ◀── Response{result | error} ◀──────────────────────────────┘
 *
 * `application/proto` bodies are forwarded as they are; `application/json` (proto3 JSON) is
 * converted with the method's schema both ways. The target agent comes from the `swarm-to`
 * header, else from `routes`.
 */
import { validateHeaderName, validateHeaderValue, type IncomingMessage, type ServerResponse } from "node:http";
import { callMethod } from "../rpc/client.js";
import type { ServiceDefinition } from "../rpc/definitions.js";
import { RpcError } from "../status/rpc-error.js";
import { Status } from "../status/status.js";
import type { Demux } from "../demux/demux.js";
import { connectErrorResponse, GatewayError } from "./connect-error.js";
import { loadGatewayMethods, type GatewayMethod } from "./gateway-schema.js";
import { readBody } from "./read-body.js";

/** Settings of the HTTP gateway. */
export interface GatewayOptions {
  /** `.proto` files whose services the gateway converts JSON for, with the exact proto3 JSON mapping (loaded with protobufjs at start). */
  protoFiles?: string[];
  /** Folders searched for the imports of `protoFiles`. */
  importPaths?: string[];
  /**
   * ts-proto generic definitions (e.g. `ComputeServiceDefinition`), the other source of schemas:
   * their JSON is what their generated `fromJSON`/`toJSON` make of it. A method a `.proto` in
   * `protoFiles` describes too takes its JSON from the `.proto`.
   */
  services?: ServiceDefinition[];
  /** Agent serving each service (full name → agent id), used when a request has no `swarm-to` header. */
  routes?: Record<string, string>;
  /** Deadline of calls without `connect-timeout-ms`, in ms. Default 30,000. */
  timeoutMs?: number;
  /** Larger `connect-timeout-ms` values are cut to this, in ms. Default 300,000. */
  maxTimeoutMs?: number;
  /** Calls in flight at once; more get RESOURCE_EXHAUSTED (HTTP 429). Default 1024. */
  maxInFlight?: number;
  /** Largest request body, in bytes. Default the hub's `maxMessageSize`. */
  maxBodyBytes?: number;
}

/** Told about every finished call (metrics). `method` is the path, or "unregistered" for one outside the schemas. */
export type GatewayCallObserver = (method: string, code: Status, seconds: number, bytesIn: number, bytesOut: number) => void;

/** The header naming the agent a call goes to. */
export const TARGET_HEADER = "swarm-to";

const PATH = /^\/([A-Za-z_][\w.]*)\/([A-Za-z_]\w*)$/;
/** Request headers that belong to HTTP or the Connect protocol, not to the call's metadata. */
const NOT_METADATA = new Set([
  "host", "connection", "keep-alive", "transfer-encoding", "te", "upgrade", "content-type", "content-length", "content-encoding",
  "accept", "accept-encoding", "user-agent", "expect", TARGET_HEADER,
]);

/** Serves Connect unary calls; `handle` answers one HTTP request. */
export class ConnectGateway {
  readonly #demux: Demux;
  readonly #methods: Map<string, GatewayMethod>;
  readonly #routes: Record<string, string>;
  readonly #timeoutMs: number;
  readonly #maxTimeoutMs: number;
  readonly #maxInFlight: number;
  readonly #maxBodyBytes: number;
  readonly #observe: GatewayCallObserver | undefined;
  #inFlight = 0;

  private constructor(demux: Demux, methods: Map<string, GatewayMethod>, options: GatewayOptions, maxBodyBytes: number, observe?: GatewayCallObserver) {
    this.#demux = demux;
    this.#methods = methods;
    this.#routes = options.routes ?? {};
    this.#timeoutMs = positive("timeoutMs", options.timeoutMs ?? 30_000);
    this.#maxTimeoutMs = positive("maxTimeoutMs", options.maxTimeoutMs ?? 300_000);
    this.#maxInFlight = positive("maxInFlight", options.maxInFlight ?? 1024);
    this.#maxBodyBytes = positive("maxBodyBytes", options.maxBodyBytes ?? maxBodyBytes);
    this.#observe = observe;
  }

  /** A gateway calling agents through `demux` (the hub's); loads `protoFiles` (rejects with a SchemaError naming the problem). */
  static async create(demux: Demux, options: GatewayOptions, maxMessageSize: number, observe?: GatewayCallObserver): Promise<ConnectGateway> {
    const methods = await loadGatewayMethods(options.protoFiles ?? [], options.importPaths ?? [], options.services ?? []);
    return new ConnectGateway(demux, methods, options, maxMessageSize, observe);
  }

  /** Calls in flight now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Wire paths of the methods the gateway has schemas for. */
  methods(): string[] {
    return [...this.#methods.keys()];
  }

  /** Answers one request; never throws (every failure is a Connect error response). */
  handle(request: IncomingMessage, response: ServerResponse): void {
    void this.#serve(request, response);
  }

  async #serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const started = performance.now();
    let label = "unregistered";
    let bytesIn = 0;
    let code = Status.OK;
    let out: Uint8Array | string;
    let contentType = "application/json";
    const header: Record<string, string> = {};
    let counted = false;
    let bodyRead = false;
    try {
      const call = this.#parse(request);
      if (call.method !== undefined) label = call.path;
      if (this.#inFlight >= this.#maxInFlight) throw new GatewayError(Status.RESOURCE_EXHAUSTED, `the gateway is at its limit of ${this.#maxInFlight} calls in flight`);
      this.#inFlight++;
      counted = true;
      const body = await readBody(request, this.#maxBodyBytes);
      bytesIn = body.length;
      bodyRead = true;
      const params = call.json ? call.method!.requestFromJson(parseJson(body)) : body;
      const aborter = new AbortController();
      const onGone = (): void => aborter.abort(new RpcError(Status.CANCELLED, "the HTTP client went away"));
      response.once("close", onGone);
      try {
        const result = await callMethod(this.#demux, call.to, call.path, params, {
          deadline: call.timeoutMs,
          signal: aborter.signal,
          metadata: call.metadata,
          onHeader: (h) => Object.assign(header, h),
          onTrailer: (t) => prefixed(header, t),
        });
        out = call.json ? JSON.stringify(jsonResult(call.method!, result)) : binaryResult(result);
        contentType = call.json ? "application/json" : "application/proto";
      } finally {
        response.off("close", onGone);
      }
    } catch (error) {
      const failure = connectErrorResponse(error);
      code = RpcError.from(error).code;
      out = failure.body;
      if (response.headersSent || response.destroyed) return this.#done(counted, label, code, started, bytesIn, 0);
      applyHeaders(response, header);
      response.statusCode = failure.httpStatus;
      if (failure.httpStatus === 405) response.setHeader("allow", "POST");
      if (failure.httpStatus === 415) response.setHeader("accept-post", "application/json, application/proto");
      // a body left unread (perhaps oversize) is not drained: the connection closes after this answer
      if (!bodyRead) response.shouldKeepAlive = false;
      response.setHeader("content-type", "application/json");
      response.end(out);
      return this.#done(counted, label, code, started, bytesIn, Buffer.byteLength(out));
    }
    if (response.destroyed) return this.#done(counted, label, Status.CANCELLED, started, bytesIn, 0);
    applyHeaders(response, header);
    response.statusCode = 200;
    response.setHeader("content-type", contentType);
    response.end(out);
    this.#done(counted, label, code, started, bytesIn, typeof out === "string" ? Buffer.byteLength(out) : out.length);
  }

  #done(counted: boolean, label: string, code: Status, started: number, bytesIn: number, bytesOut: number): void {
    if (counted) this.#inFlight--;
    this.#observe?.(label, code, (performance.now() - started) / 1000, bytesIn, bytesOut);
  }

  /** Everything the headers and path say about the call; throws the Connect error for what is wrong. */
  #parse(request: IncomingMessage): ParsedCall {
    if (request.method !== "POST") throw new GatewayError(Status.UNIMPLEMENTED, `${request.method ?? "?"} is not served: Connect unary calls are POST`, 405);
    const url = request.url ?? "/";
    const query = url.indexOf("?");
    const path = query < 0 ? url : url.slice(0, query);
    const match = PATH.exec(path);
    if (match === null) throw new GatewayError(Status.UNIMPLEMENTED, `no procedure ${JSON.stringify(path)}: expected /package.Service/Method`, 404);
    const method = this.#methods.get(path);
    const headers = request.headers;
    const json = contentFormat(headers["content-type"]);
    const encoding = headers["content-encoding"];
    if (encoding !== undefined && encoding !== "identity") throw new GatewayError(Status.UNIMPLEMENTED, `content-encoding ${encoding} is not supported (identity only)`);
    const version = headers["connect-protocol-version"];
    if (version !== undefined && version !== "1") throw new GatewayError(Status.INVALID_ARGUMENT, `connect-protocol-version must be 1, got ${JSON.stringify(version)}`);
    if (method !== undefined && !method.unary) throw new GatewayError(Status.UNIMPLEMENTED, `${path} is a streaming method: the gateway serves unary calls`);
    if (json && method === undefined) {
      throw new GatewayError(Status.UNIMPLEMENTED, `no schema for ${path} at the gateway: JSON calls need its .proto (gateway.protoFiles) or definition (gateway.services); application/proto calls need none`);
    }
    const named = single(headers[TARGET_HEADER]);
    const to = named !== undefined && named !== "" ? named : this.#routes[match[1]!];
    if (to === undefined || to === "") throw new GatewayError(Status.INVALID_ARGUMENT, `no target agent: set the ${TARGET_HEADER} header (or gateway.routes for ${match[1]})`);
    return { path, method, json, to, timeoutMs: this.#timeout(headers["connect-timeout-ms"]), metadata: metadataOf(headers) };
  }

  #timeout(value: string | string[] | undefined): number {
    if (value === undefined) return this.#timeoutMs;
    if (typeof value !== "string" || !/^\d{1,10}$/.test(value)) throw new GatewayError(Status.INVALID_ARGUMENT, `connect-timeout-ms must be 1 to 10 digits, got ${JSON.stringify(value)}`);
    return Math.min(Number(value), this.#maxTimeoutMs);
  }
}

interface ParsedCall {
  path: string;
  method: GatewayMethod | undefined;
  json: boolean;
  to: string;
  timeoutMs: number;
  metadata: Record<string, string> | undefined;
}

/** true for application/json, false for application/proto; anything else is a 415. */
function contentFormat(value: string | undefined): boolean {
  const semi = value === undefined ? -1 : value.indexOf(";");
  const media = (semi < 0 ? (value ?? "") : value!.slice(0, semi)).trim().toLowerCase();
  if (media === "application/json") {
    const charset = semi < 0 ? undefined : /charset\s*=\s*"?([\w-]+)/i.exec(value!.slice(semi))?.[1]?.toLowerCase();
    if (charset === undefined || charset === "utf-8" || charset === "utf8") return true;
  }
  if (media === "application/proto") return false;
  throw new GatewayError(
    Status.UNIMPLEMENTED,
    `content-type ${JSON.stringify(value ?? "")} is not served: Connect unary calls are application/json (UTF-8) or application/proto`,
    415,
  );
}

function parseJson(body: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8"));
  } catch (error) {
    throw new GatewayError(Status.INVALID_ARGUMENT, `the request body is not JSON: ${(error as Error).message}`);
  }
}

function jsonResult(method: GatewayMethod, result: unknown): unknown {
  if (result === undefined) return method.responseToJson(EMPTY);
  if (result instanceof Uint8Array) return method.responseToJson(result);
  return result; // an untyped handler answered JSON
}

function binaryResult(result: unknown): Uint8Array {
  if (result === undefined) return EMPTY;
  if (result instanceof Uint8Array) return result;
  throw new RpcError(Status.INTERNAL, "the agent answered JSON to a binary call");
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Custom request headers become the call's metadata (as Connect treats them). */
function metadataOf(headers: IncomingMessage["headers"]): Record<string, string> | undefined {
  let metadata: Record<string, string> | undefined;
  for (const key in headers) {
    if (NOT_METADATA.has(key) || key.startsWith("connect-")) continue;
    const value = headers[key];
    if (value === undefined) continue;
    (metadata ??= {})[key] = Array.isArray(value) ? value.join(", ") : value;
  }
  return metadata;
}

function prefixed(into: Record<string, string>, trailers: Readonly<Record<string, string>>): void {
  for (const key in trailers) into[`trailer-${key}`] = trailers[key]!;
}

/** Response metadata as HTTP headers; a key or value HTTP cannot carry is left out. */
function applyHeaders(response: ServerResponse, headers: Record<string, string>): void {
  for (const key in headers) {
    try {
      validateHeaderName(key);
      validateHeaderValue(key, headers[key]);
      response.setHeader(key, headers[key]!);
    } catch {
      // not representable in HTTP/1.1
    }
  }
}

function positive(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`gateway option ${name} must be a positive integer, got ${String(value)}`);
  return value;
}

const EMPTY = new Uint8Array(0);

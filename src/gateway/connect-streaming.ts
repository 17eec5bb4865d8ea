/**
 * Connect's streaming protocol (`application/connect+proto|+json`): enveloped messages both
 * ways, `connect-timeout-ms`, `connect-content-encoding` / `connect-accept-encoding`, and the
 * outcome in an end-stream message (flag 0x02) holding `{"error"?: {...}, "metadata"?: {...}}`;
 * the HTTP status is 200 unless the request is not Connect at all.
 * https://connectrpc.com/docs/protocol#streaming-rpcs
 */
import type { OutgoingHttpHeaders } from "node:http";
import type { RpcError } from "../status/rpc-error.js";
import { Status } from "../status/status.js";
import { ACCEPTED_ENCODINGS, acceptsGzip, requestCompressed } from "./compression.js";
import { connectErrorJson } from "./connect-error.js";
import type { EnvelopeDialect } from "./enveloped-call.js";
import { GatewayError } from "./gateway-error.js";
import { END_STREAM, encodeFrame } from "./grpc-framing.js";
import type { GrpcRequest } from "./grpc.js";
import type { HttpExchange } from "./http-exchange.js";
import { parseConnectTimeout } from "./timeout-parse.js";

/** Whether `contentType` is Connect streaming's. */
export function isConnectStreaming(contentType: string): boolean {
  return contentType.startsWith("application/connect+");
}

/** Reads a Connect streaming request's headers; throws a GatewayError for what the edge cannot serve. */
export function parseConnectStreamingRequest(exchange: HttpExchange, contentType: string, maxTimeoutMs: number): GrpcRequest {
  const subtype = contentType.slice("application/connect+".length);
  if (subtype !== "proto" && subtype !== "json") throw new GatewayError(Status.UNIMPLEMENTED, `content type ${contentType} is not served (application/connect+proto or +json)`, { httpStatus: 415 });
  if (exchange.method !== "POST") throw new GatewayError(Status.UNIMPLEMENTED, `Connect streaming calls are POST, not ${exchange.method}`, { httpStatus: 405 });
  const headers = exchange.headers;
  const version = headers["connect-protocol-version"];
  if (version !== undefined && version !== "1") throw new GatewayError(Status.INVALID_ARGUMENT, `connect-protocol-version must be 1, got ${JSON.stringify(version)}`);
  const requestGzip = requestCompressed(headers["connect-content-encoding"], "connect-content-encoding", "connect-accept-encoding");
  const responseGzip = acceptsGzip(headers["connect-accept-encoding"]);
  return {
    json: subtype === "json",
    timeoutMs: parseConnectTimeout(headers["connect-timeout-ms"], maxTimeoutMs),
    encoding: { requestGzip, responseGzip },
    dialect: connectDialect(`application/connect+${subtype}`, responseGzip),
  };
}

function connectDialect(contentType: string, responseGzip: boolean): EnvelopeDialect {
  return {
    httpTrailers: false,
    text: false,
    headers: () => responseHeaders(contentType, responseGzip),
    endEarly: () => false,
    end(exchange, error, trailers, frame) {
      frame(END_STREAM, endStreamMessage(error, trailers));
      exchange.end();
    },
  };
}

function responseHeaders(contentType: string, responseGzip: boolean): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = { "content-type": contentType, "connect-accept-encoding": ACCEPTED_ENCODINGS };
  if (responseGzip) headers["connect-content-encoding"] = "gzip";
  return headers;
}

/** The end-stream message: the error, if any, and the trailers as `metadata` (values are lists). */
function endStreamMessage(error: RpcError | undefined, trailers: Readonly<Record<string, string>>): Uint8Array {
  const end: { error?: ReturnType<typeof connectErrorJson>; metadata?: Record<string, string[]> } = {};
  if (error !== undefined) end.error = connectErrorJson(error);
  const names = Object.keys(trailers);
  if (names.length > 0) end.metadata = Object.fromEntries(names.map((name) => [name, [trailers[name]!]]));
  return Buffer.from(JSON.stringify(end), "utf8");
}

/** A refused Connect streaming call: HTTP 200 and an end-stream message with the error (415 for a content type it cannot read). */
export function connectStreamingRefusal(exchange: HttpExchange, error: RpcError, contentType: string): void {
  const extra = error instanceof GatewayError ? error.headers : {};
  if (error instanceof GatewayError && error.httpStatus === 415) {
    exchange.reply(415, { "content-type": "application/json", ...extra }, JSON.stringify(connectErrorJson(error)));
    return;
  }
  const type = contentType === "application/connect+json" ? contentType : "application/connect+proto";
  exchange.reply(200, { "content-type": type, "connect-accept-encoding": ACCEPTED_ENCODINGS, ...extra }, encodeFrame(END_STREAM, endStreamMessage(error, {})));
}

/**
 * gRPC over HTTP/2 (and, for clients that manage it, HTTP/1.1 with chunked trailers):
 * `application/grpc[+proto|+json]`, framed messages, `grpc-timeout`, `grpc-encoding` /
 * `grpc-accept-encoding`, and the outcome in trailers (`grpc-status`, `grpc-message`,
 * `grpc-status-details-bin`), or in the headers alone (trailers-only) when the call fails
 * before any response. https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http";
import type { RpcError } from "../status/rpc-error.js";
import { Status } from "../status/status.js";
import { ACCEPTED_ENCODINGS, acceptsGzip, requestCompressed } from "./compression.js";
import type { EnvelopeDialect, EnvelopeEncoding } from "./enveloped-call.js";
import { GatewayError } from "./gateway-error.js";
import type { HttpExchange } from "./http-exchange.js";
import { parseGrpcTimeout } from "./timeout-parse.js";
import { grpcStatusFields } from "./trailers.js";

/** What a gRPC request's headers say. */
export interface GrpcRequest {
  readonly json: boolean;
  readonly timeoutMs: number | undefined;
  readonly encoding: EnvelopeEncoding;
  readonly dialect: EnvelopeDialect;
}

/** Whether `contentType` is gRPC's (not gRPC-Web's). */
export function isGrpc(contentType: string): boolean {
  return contentType.startsWith("application/grpc") && !contentType.startsWith("application/grpc-web");
}

/** Reads a gRPC request's headers; throws a GatewayError (UNIMPLEMENTED, INVALID_ARGUMENT) for what the edge cannot serve. */
export function parseGrpcRequest(exchange: HttpExchange, contentType: string, maxTimeoutMs: number): GrpcRequest {
  const headers = exchange.headers;
  const subtype = contentType === "application/grpc" ? "proto" : contentType.slice("application/grpc+".length);
  if (subtype !== "proto" && subtype !== "json") throw new GatewayError(Status.UNIMPLEMENTED, `content type ${contentType} is not served (application/grpc+proto or +json)`, { httpStatus: 415 });
  if (exchange.method !== "POST") throw new GatewayError(Status.UNIMPLEMENTED, `gRPC calls are POST, not ${exchange.method}`, { httpStatus: 405 });
  const requestGzip = requestCompressed(headers["grpc-encoding"], "grpc-encoding", "grpc-accept-encoding");
  const responseGzip = acceptsGzip(headers["grpc-accept-encoding"]);
  return {
    json: subtype === "json",
    timeoutMs: parseGrpcTimeout(headers["grpc-timeout"], maxTimeoutMs),
    encoding: { requestGzip, responseGzip },
    dialect: grpcDialect(subtype === "json" ? "application/grpc+json" : "application/grpc", responseGzip),
  };
}

function grpcDialect(contentType: string, responseGzip: boolean): EnvelopeDialect {
  return {
    httpTrailers: true,
    text: false,
    headers: () => responseHeaders(contentType, responseGzip),
    endEarly(exchange, headers, error, trailers) {
      exchange.reply(200, Object.assign(headers, grpcStatusFields(error, trailers)), "");
      return true;
    },
    end(exchange, error, trailers) {
      exchange.end(grpcStatusFields(error, trailers));
    },
  };
}

function responseHeaders(contentType: string, responseGzip: boolean): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = { "content-type": contentType, "grpc-accept-encoding": ACCEPTED_ENCODINGS };
  if (responseGzip) headers["grpc-encoding"] = "gzip";
  return headers;
}

/** A refused gRPC call: trailers-only (HTTP 200 and the status in the headers), or HTTP 415 for a content type that is not gRPC's at all. */
export function grpcRefusal(exchange: HttpExchange, error: RpcError): void {
  const extra = error instanceof GatewayError ? error.headers : {};
  if (error instanceof GatewayError && error.httpStatus === 415) {
    exchange.reply(415, { "content-type": "text/plain; charset=utf-8", "accept-post": "application/grpc, application/grpc+proto, application/grpc+json", ...extra }, error.message);
    return;
  }
  exchange.reply(200, { "content-type": "application/grpc", "grpc-accept-encoding": ACCEPTED_ENCODINGS, ...extra, ...grpcStatusFields(error, {}) }, "");
}

/** The media type of a request, lower-case, parameters dropped. */
export function mediaType(headers: IncomingHttpHeaders): string {
  const value = headers["content-type"];
  if (value === undefined) return "";
  const semi = value.indexOf(";");
  return (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase();
}

/**
 * gRPC-Web (binary `application/grpc-web[+proto|+json]` and base64 `application/grpc-web-text`),
 * what browsers speak: gRPC's framing over HTTP/1.1 or HTTP/2 without HTTP trailers; the outcome
 * is a last body frame flagged 0x80 holding "grpc-status: 0\r\n..." (or, when the call fails
 * before any response, the status in the headers). Text bodies are base64, both ways.
 * https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-WEB.md
 */
import type { OutgoingHttpHeaders } from "node:http";
import type { RpcError } from "../status/rpc-error.js";
import { Status } from "../status/status.js";
import { ACCEPTED_ENCODINGS, acceptsGzip, requestCompressed } from "./compression.js";
import type { EnvelopeDialect } from "./enveloped-call.js";
import { GatewayError } from "./gateway-error.js";
import { TRAILERS } from "./grpc-framing.js";
import type { GrpcRequest } from "./grpc.js";
import type { HttpExchange } from "./http-exchange.js";
import { parseGrpcTimeout } from "./timeout-parse.js";
import { grpcStatusFields, trailerBlock } from "./trailers.js";

/** Whether `contentType` is gRPC-Web's. */
export function isGrpcWeb(contentType: string): boolean {
  return contentType.startsWith("application/grpc-web");
}

/** Reads a gRPC-Web request's headers; throws a GatewayError for what the edge cannot serve. */
export function parseGrpcWebRequest(exchange: HttpExchange, contentType: string, maxTimeoutMs: number): GrpcRequest {
  const match = /^application\/grpc-web(-text)?(?:\+(proto|json))?$/.exec(contentType);
  if (match === null) throw new GatewayError(Status.UNIMPLEMENTED, `content type ${contentType} is not served (application/grpc-web[-text][+proto|+json])`, { httpStatus: 415 });
  if (exchange.method !== "POST") throw new GatewayError(Status.UNIMPLEMENTED, `gRPC-Web calls are POST, not ${exchange.method}`, { httpStatus: 405 });
  const text = match[1] !== undefined;
  const json = match[2] === "json";
  const headers = exchange.headers;
  const requestGzip = requestCompressed(headers["grpc-encoding"], "grpc-encoding", "grpc-accept-encoding");
  const responseGzip = acceptsGzip(headers["grpc-accept-encoding"]);
  const responseType = `application/grpc-web${text ? "-text" : ""}+${json ? "json" : "proto"}`;
  return { json, timeoutMs: parseGrpcTimeout(headers["grpc-timeout"], maxTimeoutMs), encoding: { requestGzip, responseGzip }, dialect: grpcWebDialect(responseType, text, responseGzip) };
}

function grpcWebDialect(contentType: string, text: boolean, responseGzip: boolean): EnvelopeDialect {
  return {
    httpTrailers: false,
    text,
    headers: () => responseHeaders(contentType, responseGzip),
    endEarly(exchange, headers, error, trailers) {
      exchange.reply(200, Object.assign(headers, grpcStatusFields(error, trailers)), "");
      return true;
    },
    end(exchange, error, trailers, frame) {
      frame(TRAILERS, trailerBlock(grpcStatusFields(error, trailers)));
      exchange.end();
    },
  };
}

function responseHeaders(contentType: string, responseGzip: boolean): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = { "content-type": contentType, "grpc-accept-encoding": ACCEPTED_ENCODINGS };
  if (responseGzip) headers["grpc-encoding"] = "gzip";
  return headers;
}

/** A refused gRPC-Web call: the status in the headers of an empty response (HTTP 415 for a content type it cannot read). */
export function grpcWebRefusal(exchange: HttpExchange, error: RpcError): void {
  const extra = error instanceof GatewayError ? error.headers : {};
  if (error instanceof GatewayError && error.httpStatus === 415) {
    exchange.reply(415, { "content-type": "text/plain; charset=utf-8", ...extra }, error.message);
    return;
  }
  exchange.reply(200, { "content-type": "application/grpc-web+proto", ...extra, ...grpcStatusFields(error, {}) }, "");
}

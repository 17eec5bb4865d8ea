/**
 * Reading request bodies at the edge, always bounded: the whole body of a unary call (refused
 * past `maxBytes`), or the rest of a refused request drained, so the answer reaches a client
 * still writing (closing on it mid-upload gives it EPIPE instead of the error).
 */
import type { HttpExchange, RequestBody } from "./http-exchange.js";
import { Status } from "../status/status.js";
import { GatewayError } from "./gateway-error.js";

/**
 * The whole body, at most `maxBytes`: a declared `content-length` over the limit is refused
 * before anything is read; a body that grows past it stops being buffered at the limit. Either
 * way RESOURCE_EXHAUSTED. A client that goes away gives CANCELLED.
 */
export function readBody(body: RequestBody, declaredLength: string | undefined, maxBytes: number): Promise<Uint8Array> {
  if (declaredLength !== undefined && Number(declaredLength) > maxBytes) return Promise.reject(tooLarge(`${declaredLength} bytes`, maxBytes));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const onData = (chunk: Buffer): void => {
      length += chunk.length;
      if (length > maxBytes) {
        cleanup();
        reject(tooLarge(`more than ${maxBytes} bytes`, maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length));
    };
    const onGone = (): void => {
      cleanup();
      reject(new GatewayError(Status.CANCELLED, "the client closed the request before its body arrived"));
    };
    function cleanup(): void {
      body.off("data", onData);
      body.off("end", onEnd);
      body.off("error", onGone);
      body.off("close", onGone);
    }
    body.on("data", onData);
    body.on("end", onEnd);
    body.on("error", onGone);
    body.on("close", onGone);
  });
}

/**
 * Reads and discards the rest of a body, at most `maxBytes` more. Resolves true once it ended
 * (the connection can carry the answer and stay open), false when it was longer or the client
 * went away (answer, then close the connection).
 */
export function drainBody(body: RequestBody, maxBytes: number): Promise<boolean> {
  if (body.readableEnded) return Promise.resolve(true);
  if (body.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    let length = 0;
    const onData = (chunk: Buffer): void => {
      length += chunk.length;
      if (length > maxBytes) finish(false);
    };
    const onEnd = (): void => finish(true);
    const onGone = (): void => finish(false);
    function finish(ended: boolean): void {
      body.off("data", onData);
      body.off("end", onEnd);
      body.off("error", onGone);
      body.off("close", onGone);
      if (!ended) body.pause();
      resolve(ended);
    }
    body.on("data", onData);
    body.on("end", onEnd);
    body.on("error", onGone);
    body.on("close", onGone);
    body.resume();
  });
}

function tooLarge(size: string, maxBytes: number): GatewayError {
  return new GatewayError(Status.RESOURCE_EXHAUSTED, `request body of ${size} is over the limit of ${maxBytes} bytes (maxBodyBytes)`);
}

/**
 * Answers a request the edge refuses, so the client reads the answer whatever it was still
 * sending. HTTP/1.1 reads (and drops) the rest of the body first, up to `maxBytes`; a longer
 * one is answered anyway and dropped on, up to DRAIN_FACTOR × `maxBytes` in all, before the
 * connection is cut (closing on a client mid-upload is what turns an answer into EPIPE). HTTP/2
 * answers at once and then drains the stream (its flow control bounds what the client can send).
 */
export function answerAfterBody(exchange: HttpExchange, maxBytes: number, answer: () => void): void {
  if (exchange.httpVersion === "2") {
    answer();
    void drainBody(exchange.body, maxBytes * DRAIN_FACTOR);
    return;
  }
  void drainBody(exchange.body, maxBytes).then((ended) => {
    answer();
    if (ended || exchange.body.destroyed) return;
    void drainBody(exchange.body, maxBytes * (DRAIN_FACTOR - 1)).then((rest) => {
      if (!rest) exchange.destroy();
    });
  });
}

/** How much of a refused request body is read and dropped at most, in multiples of the body limit. */
const DRAIN_FACTOR = 16;

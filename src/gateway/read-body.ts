import type { IncomingMessage } from "node:http";
import { Status } from "../status/status.js";
import { GatewayError } from "./connect-error.js";

/**
 * The whole request body, at most `maxBytes`: a declared `content-length` over the limit is
 * refused before anything is read, and a body that grows past it stops being buffered at the
 * limit. Either way RESOURCE_EXHAUSTED; the caller answers with `connection: close`, so the
 * rest of an oversize body is never read. A client that goes away gives CANCELLED.
 */
export function readBody(request: IncomingMessage, maxBytes: number): Promise<Uint8Array> {
  const declared = request.headers["content-length"];
  if (declared !== undefined && Number(declared) > maxBytes) return Promise.reject(tooLarge(`${declared} bytes`, maxBytes));
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
      request.off("data", onData);
      request.off("end", onEnd);
      request.off("error", onGone);
      request.off("aborted", onGone);
    }
    request.on("data", onData);
    request.on("end", onEnd);
    request.on("error", onGone);
    request.on("aborted", onGone);
  });
}

function tooLarge(size: string, maxBytes: number): GatewayError {
  return new GatewayError(Status.RESOURCE_EXHAUSTED, `request body of ${size} is over the limit of ${maxBytes} bytes (maxMessageSize)`);
}

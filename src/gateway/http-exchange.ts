/**
 * One HTTP request and its response, whatever the HTTP version: what the protocols (gRPC,
 * gRPC-Web, Connect) see. HTTP/1.1 is node:http's request/response pair (trailers as chunked
 * trailers); HTTP/2 is one node:http2 stream (trailers as a HEADERS frame). Writes report
 * backpressure (`write` returns false, then `onDrain`), so a slow client holds the sender back.
 */
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { ServerHttp2Stream } from "node:http2";

/** A request body as the protocols read it ("data", "end", "error", "close"): node's request streams, or an H2Stream's body. */
export interface RequestBody {
  on(event: string, listener: (...args: any[]) => void): unknown;
  off(event: string, listener: (...args: any[]) => void): unknown;
  once(event: string, listener: (...args: any[]) => void): unknown;
  pause(): unknown;
  resume(): unknown;
  readonly readableEnded: boolean;
  readonly destroyed: boolean;
}

/** One request/response exchange. */
export interface HttpExchange {
  readonly httpVersion: "1.1" | "2";
  readonly method: string;
  /** The path without the query. */
  readonly path: string;
  /** What follows "?" in the request target, or "". */
  readonly query: string;
  readonly headers: IncomingHttpHeaders;
  /** The request body. */
  readonly body: RequestBody;
  /** Whether the response has started (status and headers sent). */
  readonly responded: boolean;
  /** Headers added to the response whatever it is (CORS). */
  extraHeaders: OutgoingHttpHeaders | undefined;
  /** Whether the exchange is over: the response ended, or the client went away. */
  readonly closed: boolean;
  /** Response bytes written and not yet taken by the client's connection (what a slow client costs). */
  readonly bufferedBytes: number;
  /** Starts the response; `trailers`: the response will end with trailers (`end(trailers)`). */
  respond(status: number, headers: OutgoingHttpHeaders, trailers: boolean): void;
  /** A whole response at once (status, headers, body), without trailers. */
  reply(status: number, headers: OutgoingHttpHeaders, body: Uint8Array | string): void;
  /** Writes body bytes; false when the client is behind (wait for `onDrain`). */
  write(chunk: Uint8Array): boolean;
  /** Ends the response, with trailers if it was started with them. */
  end(trailers?: OutgoingHttpHeaders): void;
  /** Calls `listener` once when written data has drained. */
  onDrain(listener: () => void): void;
  /** Calls `listener` once when the exchange closes (ended or aborted by the client). */
  onClose(listener: () => void): void;
  /** Gives up the exchange at once: RST_STREAM (HTTP/2) or a closed connection (HTTP/1.1). */
  destroy(): void;
  /** HTTP/1.1: close the connection after this response (no effect on HTTP/2). */
  closeConnectionAfter(): void;
}

/** An HTTP/1.x request and its response. */
export class Http1Exchange implements HttpExchange {
  readonly httpVersion = "1.1";
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: IncomingMessage;
  extraHeaders: OutgoingHttpHeaders | undefined;
  readonly #response: ServerResponse;

  constructor(request: IncomingMessage, response: ServerResponse) {
    this.body = request;
    this.#response = response;
    this.method = request.method ?? "GET";
    this.headers = request.headers;
    const url = request.url ?? "/";
    const mark = url.indexOf("?");
    this.path = mark < 0 ? url : url.slice(0, mark);
    this.query = mark < 0 ? "" : url.slice(mark + 1);
  }

  get responded(): boolean {
    return this.#response.headersSent;
  }

  get closed(): boolean {
    return this.#response.writableEnded || this.#response.destroyed;
  }

  get bufferedBytes(): number {
    return this.#response.writableLength;
  }

  respond(status: number, headers: OutgoingHttpHeaders, trailers: boolean): void {
    // without a content-length the body is chunked, which is what carries trailers in HTTP/1.1
    void trailers;
    this.#response.writeHead(status, this.extraHeaders === undefined ? headers : { ...headers, ...this.extraHeaders });
  }

  reply(status: number, headers: OutgoingHttpHeaders, body: Uint8Array | string): void {
    if (this.closed) return;
    this.#response.writeHead(status, this.extraHeaders === undefined ? headers : { ...headers, ...this.extraHeaders }).end(body);
  }

  write(chunk: Uint8Array): boolean {
    if (this.closed) return true;
    return this.#response.write(chunk);
  }

  end(trailers?: OutgoingHttpHeaders): void {
    if (this.closed) return;
    if (trailers !== undefined) this.#response.addTrailers(trailers);
    this.#response.end();
  }

  onDrain(listener: () => void): void {
    this.#response.once("drain", listener);
  }

  onClose(listener: () => void): void {
    this.#response.once("close", listener);
  }

  destroy(): void {
    this.#response.destroy();
  }

  closeConnectionAfter(): void {
    this.#response.shouldKeepAlive = false;
  }
}

/** One HTTP/2 stream. */
export class Http2Exchange implements HttpExchange {
  readonly httpVersion = "2";
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: ServerHttp2Stream;
  extraHeaders: OutgoingHttpHeaders | undefined;
  #trailers: OutgoingHttpHeaders | undefined;

  constructor(stream: ServerHttp2Stream, headers: IncomingHttpHeaders) {
    this.body = stream;
    this.headers = headers;
    this.method = (headers[":method"] as string | undefined) ?? "GET";
    const url = (headers[":path"] as string | undefined) ?? "/";
    const mark = url.indexOf("?");
    this.path = mark < 0 ? url : url.slice(0, mark);
    this.query = mark < 0 ? "" : url.slice(mark + 1);
  }

  get responded(): boolean {
    return this.body.headersSent;
  }

  get closed(): boolean {
    return this.body.closed || this.body.destroyed || this.body.writableEnded;
  }

  get bufferedBytes(): number {
    return this.body.writableLength;
  }

  respond(status: number, headers: OutgoingHttpHeaders, trailers: boolean): void {
    const stream = this.body;
    if (this.closed) return;
    headers[":status"] = status;
    if (this.extraHeaders !== undefined) Object.assign(headers, this.extraHeaders);
    if (trailers) {
      stream.respond(headers, { waitForTrailers: true });
      stream.once("wantTrailers", this.#sendTrailers);
    } else {
      stream.respond(headers);
    }
  }

  reply(status: number, headers: OutgoingHttpHeaders, body: Uint8Array | string): void {
    if (this.closed) return;
    headers[":status"] = status;
    if (this.extraHeaders !== undefined) Object.assign(headers, this.extraHeaders);
    const empty = typeof body === "string" ? body.length === 0 : body.length === 0;
    this.body.respond(headers, { endStream: empty });
    if (!empty) this.body.end(body);
  }

  write(chunk: Uint8Array): boolean {
    if (this.closed) return true;
    return this.body.write(chunk);
  }

  end(trailers?: OutgoingHttpHeaders): void {
    if (this.closed) return;
    this.#trailers = trailers;
    this.body.end();
  }

  onDrain(listener: () => void): void {
    this.body.once("drain", listener);
  }

  onClose(listener: () => void): void {
    this.body.once("close", listener);
  }

  destroy(): void {
    if (!this.body.destroyed) this.body.close(0x8 /* CANCEL */);
  }

  closeConnectionAfter(): void {}

  readonly #sendTrailers = (): void => {
    try {
      this.body.sendTrailers(this.#trailers ?? {});
    } catch {
      // the stream was reset meanwhile: nobody is left to read them
    }
  };
}

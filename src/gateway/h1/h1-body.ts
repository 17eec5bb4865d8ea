/**
 * The request body of one HTTP/1.1 request: the bytes after its head, as far as content-length
 * says, handed to the consumer's "data" listener unless it paused (then reading the socket
 * pauses too, once a little is buffered); dropped as they come once the answer is out and
 * nobody reads them.
 */
import { EventEmitter } from "node:events";
import type { H1Connection } from "./h1-connection.js";

/** Body bytes buffered for a consumer that does not take them before reading the socket stops. */
const BODY_BUFFER_BYTES = 64 * 1024;

/** The request body: what the client sends after the head, as far as content-length says. */
export class H1Body extends EventEmitter {
  readableEnded = false;
  destroyed = false;
  readonly #connection: H1Connection;
  #paused = false;
  #buffered: Buffer[] = [];
  #bufferedBytes = 0;
  #ended = false;
  #flushQueued = false;
  /** Nobody will read the rest: drop it as it comes. */
  #dumping = false;

  constructor(connection: H1Connection) {
    super();
    this.#connection = connection;
  }

  override on(event: string | symbol, listener: (...args: any[]) => void): this {
    super.on(event, listener);
    if (event === "data" && (this.#buffered.length > 0 || this.#ended)) this.#queueFlush();
    return this;
  }

  pause(): this {
    this.#paused = true;
    this.#connection.setPaused(true);
    return this;
  }

  resume(): this {
    this.#paused = false;
    this.#connection.setPaused(false);
    this.#queueFlush();
    return this;
  }

  /** @internal The answer is out and nobody reads the body: what is left of it is dropped as it arrives. */
  dump(): void {
    if (this.readableEnded || this.destroyed || this.listenerCount("data") > 0) return;
    this.#dumping = true;
    this.#buffered = [];
    this.#bufferedBytes = 0;
    this.#paused = false;
    this.#connection.setPaused(false);
  }

  /** @internal */
  push(data: Buffer, end: boolean): void {
    if (this.destroyed) return;
    if (data.length > 0 && !this.#dumping) {
      if (!this.#paused && this.#buffered.length === 0 && this.listenerCount("data") > 0) {
        this.emit("data", data);
      } else {
        this.#buffered.push(data);
        this.#bufferedBytes += data.length;
        if (this.#bufferedBytes > BODY_BUFFER_BYTES) this.#connection.setPaused(true);
      }
    }
    if (end) {
      this.#ended = true;
      this.#maybeEnd();
    }
  }

  /** @internal The connection closed before the body was read. */
  abort(): void {
    if (this.destroyed || this.readableEnded) return;
    this.destroyed = true;
    this.#buffered = [];
    this.emit("close");
  }

  #queueFlush(): void {
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    queueMicrotask(this.#flush);
  }

  readonly #flush = (): void => {
    this.#flushQueued = false;
    while (!this.#paused && !this.destroyed && this.#buffered.length > 0 && this.listenerCount("data") > 0) {
      const data = this.#buffered.shift()!;
      this.#bufferedBytes -= data.length;
      this.emit("data", data);
    }
    if (!this.#paused && this.#bufferedBytes <= BODY_BUFFER_BYTES) this.#connection.setPaused(false);
    this.#maybeEnd();
  };

  #maybeEnd(): void {
    if (!this.#ended || this.readableEnded || this.destroyed || this.#buffered.length > 0 || this.#paused) return;
    this.readableEnded = true;
    this.emit("end");
  }
}


/**
 * The request body of one HTTP/2 stream: DATA as the client sends it, handed to the consumer's
 * "data" listener unless it paused, then "end" (or "close" if the stream was reset first). Every
 * byte the consumer takes is reported to the stream (`took`), which gives the client window
 * back: a paused body holds the client to its window.
 */
import { EventEmitter } from "node:events";
import type { H2Stream } from "./h2-stream.js";

/** The request body of a stream: data as the client sends it, paused and resumed by its consumer. */
export class H2Body extends EventEmitter {
  readableEnded = false;
  destroyed = false;
  readonly #stream: H2Stream;
  #paused = false;
  #buffered: Buffer[] = [];
  #remoteEnded = false;
  #flushQueued = false;

  constructor(stream: H2Stream) {
    super();
    this.#stream = stream;
  }

  override on(event: string | symbol, listener: (...args: any[]) => void): this {
    super.on(event, listener);
    if (event === "data" && (this.#buffered.length > 0 || this.#remoteEnded)) this.#queueFlush();
    return this;
  }

  pause(): this {
    this.#paused = true;
    return this;
  }

  resume(): this {
    this.#paused = false;
    this.#queueFlush();
    return this;
  }

  /** @internal */
  push(data: Buffer): void {
    if (this.destroyed) return;
    if (!this.#paused && this.#buffered.length === 0 && this.listenerCount("data") > 0) {
      this.#stream.took(data.length);
      this.emit("data", data);
    } else {
      this.#buffered.push(data);
    }
  }

  /** @internal */
  end(): void {
    this.#remoteEnded = true;
    this.#maybeEnd();
  }

  /** @internal The stream was reset: nothing more comes; what was not read goes back to the connection window. */
  abort(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    let unread = 0;
    for (const chunk of this.#buffered) unread += chunk.length;
    this.#buffered = [];
    if (unread > 0) this.#stream.dropped(unread);
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
      this.#stream.took(data.length);
      this.emit("data", data);
    }
    this.#maybeEnd();
  };

  #maybeEnd(): void {
    if (!this.#remoteEnded || this.readableEnded || this.destroyed || this.#buffered.length > 0 || this.#paused) return;
    this.readableEnded = true;
    this.emit("end");
  }
}


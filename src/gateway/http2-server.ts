/**
 * The HTTP/2 side of the hub's edge: node:http2 sessions on connections the hub's listener
 * (or the edge's own port) hands over, each stream an `Http2Exchange`. Flow-control windows
 * bound what a client can have in flight towards the hub: streams read only as the edge
 * consumes (a paused stream sends no WINDOW_UPDATE), so memory per session stays within
 * `connectionWindowBytes`.
 */
import { createServer, type Http2Server, type Http2Session, type IncomingHttpHeaders, type ServerHttp2Stream } from "node:http2";
import type { Socket } from "node:net";
import { Http2Exchange } from "./http-exchange.js";

/** HTTP/2 settings of the edge. */
export interface Http2EdgeOptions {
  /** Streams a client may open at once on one connection. Default 1000. */
  maxConcurrentStreams?: number;
  /** Bytes a client may send on one stream before the edge reads them. Default 1 MiB. */
  streamWindowBytes?: number;
  /** Bytes a client may send on one connection before the edge reads them. Default 8 MiB. */
  connectionWindowBytes?: number;
  /** What node:http2 may buffer per session, in MB (node's `maxSessionMemory`). Default 64. */
  maxSessionMemoryMb?: number;
}

/** Accepts HTTP/2 connections and hands each stream to `onStream`. */
export class Http2Edge {
  readonly #server: Http2Server;
  readonly #sessions = new Set<Http2Session>();
  readonly #connectionWindow: number;

  constructor(onStream: (exchange: Http2Exchange) => void, options: Http2EdgeOptions = {}) {
    this.#connectionWindow = options.connectionWindowBytes ?? 8 * 1024 * 1024;
    this.#server = createServer({
      maxSessionMemory: options.maxSessionMemoryMb ?? 64,
      settings: { maxConcurrentStreams: options.maxConcurrentStreams ?? 1000, initialWindowSize: options.streamWindowBytes ?? 1024 * 1024 },
    });
    this.#server.on("session", (session: Http2Session) => {
      this.#sessions.add(session);
      session.on("error", ignore);
      session.once("close", () => this.#sessions.delete(session));
      session.setLocalWindowSize(this.#connectionWindow);
    });
    this.#server.on("stream", (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => {
      // a reset stream emits "error"; the exchange hears about it through "close"
      stream.on("error", ignore);
      onStream(new Http2Exchange(stream, headers));
    });
    this.#server.on("sessionError", ignore);
  }

  /** Takes one connection that speaks HTTP/2 (its preface may already have been read and put back). */
  readonly accept = (socket: Socket): void => {
    this.#server.emit("connection", socket);
  };

  /** Open sessions. */
  get sessions(): number {
    return this.#sessions.size;
  }

  /** Ends every session (GOAWAY, then the connection closes). */
  close(): void {
    for (const session of this.#sessions) session.destroy();
    this.#sessions.clear();
  }
}

function ignore(): void {}

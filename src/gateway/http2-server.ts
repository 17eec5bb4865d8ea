/**
 * The HTTP/2 side of the hub's edge: connections the hub's listener (or the edge's own port)
 * hands over, each stream an exchange. Two engines: the edge's own (src/gateway/h2: frames,
 * HPACK, flow control, one write per turn for every response of that turn) and node:http2 (each
 * stream an `Http2Exchange`). Either way flow-control windows bound what a client can have in
 * flight towards the hub: streams read only as the edge consumes (a paused stream sends no
 * WINDOW_UPDATE), so memory per connection stays within `connectionWindowBytes`.
 */
import { createServer, type Http2Server, type Http2Session, type IncomingHttpHeaders, type ServerHttp2Stream } from "node:http2";
import type { Socket } from "node:net";
import { H2Connection } from "./h2/h2-connection.js";
import { H2Code } from "./h2/h2-frames.js";
import { Http2Exchange, type HttpExchange } from "./http-exchange.js";

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
  /**
   * "swarm": the edge's own HTTP/2 (src/gateway/h2; about half node:http2's CPU per call, measured
   * by bench/grpc-edge.bench.ts); "node": node:http2 (nghttp2). Default "swarm".
   */
  engine?: "swarm" | "node";
}

/** Accepts HTTP/2 connections and hands each stream to `onStream`. */
export class Http2Edge {
  readonly #server: Http2Server;
  readonly #sessions = new Set<Http2Session>();
  readonly #connections = new Set<H2Connection>();
  readonly #connectionWindow: number;
  readonly #onStream: (exchange: HttpExchange) => void;
  readonly #engine: "swarm" | "node";
  readonly #options: Http2EdgeOptions;

  constructor(onStream: (exchange: HttpExchange) => void, options: Http2EdgeOptions = {}) {
    this.#onStream = onStream;
    this.#options = options;
    this.#engine = options.engine ?? "swarm";
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
    if (this.#engine === "node") return void this.#server.emit("connection", socket);
    const options = this.#options;
    const connection: H2Connection = new H2Connection(
      socket,
      this.#onStream,
      {
        maxConcurrentStreams: options.maxConcurrentStreams ?? 1000,
        streamWindowBytes: options.streamWindowBytes ?? 1024 * 1024,
        connectionWindowBytes: this.#connectionWindow,
        maxHeaderListBytes: 64 * 1024,
        maxSocketBufferBytes: 4 * 1024 * 1024,
      },
      () => this.#connections.delete(connection),
    );
    this.#connections.add(connection);
  };

  /** Open connections. */
  get sessions(): number {
    return this.#sessions.size + this.#connections.size;
  }

  /** Ends every connection (GOAWAY, then the connection closes). */
  close(): void {
    for (const session of this.#sessions) session.destroy();
    this.#sessions.clear();
    for (const connection of this.#connections) connection.close(H2Code.NO_ERROR, "closing");
    this.#connections.clear();
  }
}

function ignore(): void {}

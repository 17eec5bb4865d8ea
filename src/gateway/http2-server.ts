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
import { ConnectionSweeper } from "./connection-sweeper.js";
import { H2Connection } from "./h2/h2-connection.js";
import { H2Code } from "./h2/h2-frames.js";
import { resolveH2Limits, type H2Limits } from "./h2/h2-limits.js";
import { Http2Exchange, type HttpExchange } from "./http-exchange.js";
import type { Http2ConnectionHandler } from "../transports/websocket/hub/hub-listener.js";

/**
 * HTTP/2 settings of the edge: its limits (`H2Limits`, each optional; defaults in `H2_DEFAULTS`
 * and docs/gateway.md) and its engine. The node engine takes `maxConcurrentStreams`,
 * `streamWindowBytes`, `connectionWindowBytes` and `maxHeaderListBytes`; node:http2 has its own
 * defences for the rest.
 */
export interface Http2EdgeOptions extends Partial<H2Limits> {
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
  readonly #onStream: (exchange: HttpExchange) => void;
  readonly #engine: "swarm" | "node";
  readonly #limits: H2Limits;
  readonly #sweeper: ConnectionSweeper;
  /**
   * Takes one connection that speaks HTTP/2 (its preface may already have been read and put
   * back); a cleartext one must show its protocol within the SETTINGS timeout.
   */
  readonly accept: Http2ConnectionHandler;

  /** Throws a RangeError naming an option out of range. */
  constructor(onStream: (exchange: HttpExchange) => void, options: Http2EdgeOptions = {}) {
    this.#onStream = onStream;
    this.#engine = options.engine ?? "swarm";
    const limits = (this.#limits = resolveH2Limits(options));
    this.#sweeper = new ConnectionSweeper(ConnectionSweeper.intervalFor(limits.idleTimeoutMs, limits.settingsTimeoutMs));
    this.#server = createServer({
      maxSessionMemory: options.maxSessionMemoryMb ?? 64,
      settings: { maxConcurrentStreams: limits.maxConcurrentStreams, initialWindowSize: limits.streamWindowBytes, maxHeaderListSize: limits.maxHeaderListBytes },
    });
    this.#server.on("session", (session: Http2Session) => {
      this.#sessions.add(session);
      session.on("error", ignore);
      session.once("close", () => this.#sessions.delete(session));
      session.setLocalWindowSize(limits.connectionWindowBytes);
    });
    this.#server.on("stream", (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => {
      // a reset stream emits "error"; the exchange hears about it through "close"
      stream.on("error", ignore);
      onStream(new Http2Exchange(stream, headers));
    });
    this.#server.on("sessionError", ignore);
    this.accept = Object.assign(this.#accept, { firstBytesTimeoutMs: limits.settingsTimeoutMs });
  }

  readonly #accept = (socket: Socket): void => {
    if (this.#engine === "node") return void this.#server.emit("connection", socket);
    const connection: H2Connection = new H2Connection(socket, this.#onStream, this.#limits, this.#sweeper, () => this.#connections.delete(connection));
    this.#connections.add(connection);
  };

  /** Bytes the edge's own HTTP/2 holds for its clients now: socket buffers, responses waiting for windows, open streams' headers. */
  get bufferedBytes(): number {
    let bytes = 0;
    for (const connection of this.#connections) bytes += connection.heldBytes;
    return bytes;
  }

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

import { isEndToEndControl } from "../../../protocol/control.js";
import type { IncomingMessage } from "node:http";
import type { WebSocket } from "ws";
import type { Envelope } from "../../../../generated/swarm/transport/v1/envelope.js";
import { Message } from "../../../protocol/message.js";
import type { TransportConfig } from "../../../transport/config.js";
import { TransportError } from "../../../transport/errors.js";
import { AgentConnection } from "./agent-connection.js";
import type { EndpointCore } from "../endpoint.js";
import { HubAdmission, type HubAuthRequest } from "./hub-admission.js";
import type { HubRouter } from "./hub-router.js";
import type { HubCounters } from "./hub-stats.js";
import { closeAndWait, Link } from "../link.js";
import type { WebSocketTuning } from "../options.js";
import { CloseCode } from "../socket.js";

/** What the connection layer needs from its hub. @internal */
export interface ConnectionsHost {
  readonly localAddress: string;
  readonly config: Readonly<TransportConfig>;
  readonly tuning: Readonly<WebSocketTuning>;
  readonly metadata: Readonly<Record<string, string>>;
  readonly authenticate: ((request: HubAuthRequest) => boolean | Promise<boolean>) | undefined;
  readonly router: HubRouter;
  readonly counters: HubCounters;
  readonly core: EndpointCore;
  isOpen(): boolean;
}

/**
 * A hub's sockets: accepting them, reading their frames (bad input closes only that
 * connection, with a close code and a Goodbye naming the reason), the hub's own control
 * (Lookup, SetCompression, Goodbye), the slow-consumer bound, heartbeats, and what happens when
 * a socket closes (a session is parked, anything else is forgotten and reported gone).
 * @internal
 */
export class HubConnections {
  /** Every socket not yet closed, including hub links and connections still in their handshake. */
  readonly open = new Set<AgentConnection>();
  readonly admission: HubAdmission;
  readonly #host: ConnectionsHost;

  constructor(host: ConnectionsHost) {
    this.#host = host;
    this.admission = new HubAdmission({ ...host, isOpen: () => host.isOpen(), drop: (c, code, reason, goodbye) => this.drop(c, code, reason, goodbye) });
  }

  /** Registers an outgoing hub link (already handshaken) and starts reading it. */
  attachHubLink(connection: AgentConnection, handoff: (listener: (event: { data: unknown }) => void) => void): void {
    this.open.add(connection);
    connection.socket.on("close", () => this.onClosed(connection, "closed"));
    handoff((event) => this.onFrame(connection, event.data as Buffer, true, undefined));
    this.#host.router.add(connection);
  }

  /** Says Goodbye on every socket and waits for them to close (at most 1 s each). */
  async closeAll(): Promise<void> {
    for (const connection of this.#host.router.agents.values()) clearTimeout(connection.graceTimer);
    await Promise.all(
      [...this.open].map((connection) => {
        clearTimeout(connection.helloTimer);
        return closeAndWait(connection.link, "hub closing");
      }),
    );
  }

  /** A socket the server accepted: waits for its Hello (within connectionTimeoutMs). */
  accept(socket: WebSocket, request: IncomingMessage): void {
    if (!this.#host.isOpen()) return socket.terminate();
    const link = new Link(socket, this.#host.localAddress, this.#host.config.maxMessageSize, this.#host.config.compressionThreshold, this.#host.core.stats);
    const connection = new AgentConnection(socket, link, request.socket.remoteAddress ?? "");
    this.open.add(connection);
    connection.helloTimer = setTimeout(
      () => this.drop(connection, CloseCode.HANDSHAKE, `no Hello within ${this.#host.config.connectionTimeoutMs} ms`, "Timeout"),
      this.#host.config.connectionTimeoutMs,
    );
    socket.on("message", (data: Buffer, isBinary: boolean) => this.onFrame(connection, data, isBinary, request));
    socket.on("close", () => this.onClosed(connection, "closed"));
    socket.on("error", (error: Error & { code?: string }) => {
      this.#host.counters.protocolErrors++;
      this.#host.core.stats.errors++;
      // ws closes the socket itself (1009 for a frame over maxPayload, 1002 for bad framing)
      connection.closeReason = error.code === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH" ? `message too large (max ${this.#host.config.maxMessageSize + 1} bytes)` : error.message;
    });
  }

  /** One incoming WebSocket message of `connection`. */
  onFrame(connection: AgentConnection, data: Buffer, isBinary: boolean, request: IncomingMessage | undefined): void {
    if (connection.state === "closed") return;
    try {
      if (!isBinary) throw new TransportError("SerializationError", "text message: frames are binary messages");
      for (const body of connection.link.bodies(plainBytes(data))) {
        if ((connection.state as AgentConnection["state"]) === "closed") return;
        const envelope = connection.link.decodeBody(body);
        connection.messagesIn++;
        if (connection.state === "open") {
          this.#route(connection, envelope, body);
        } else if (connection.state === "hello" && request !== undefined) {
          void this.admission.admit(connection, envelope, request);
        } else {
          this.#host.counters.protocolErrors++;
          return this.drop(connection, CloseCode.HANDSHAKE, "message before HelloAck", "SerializationError");
        }
      }
    } catch (error) {
      const e = error as TransportError;
      this.#host.counters.protocolErrors++;
      this.drop(connection, e.code === "MessageTooLarge" ? CloseCode.TOO_LARGE : CloseCode.SERIALIZATION, `bad frame: ${e.message}`, e.code);
    }
  }

  /** An open connection's envelope: control for the hub, or a message to route as received. */
  #route(from: AgentConnection, envelope: Envelope, body: Uint8Array): void {
    const payload = envelope.payload;
    if (payload === undefined || payload.$case === "heartbeat") return;
    if (payload.$case === "control" && !isEndToEndControl(envelope)) return this.#onControl(from, envelope);
    if (!from.isHub && envelope.source !== from.agentId) {
      return this.#host.router.undeliverable(from, envelope, "InvalidAddress", `source "${envelope.source}" is not the sending agent "${from.agentId}"`);
    }
    this.#host.router.route(from, envelope, body);
  }

  #onControl(from: AgentConnection, envelope: Envelope): void {
    if (this.#host.router.onControl(from, envelope)) return;
    const operation = envelope.payload?.$case === "control" ? envelope.payload.value.operation : undefined;
    switch (operation?.$case) {
      case "lookup": {
        const address = operation.value.address;
        const value = { address, ...this.#host.router.lookup(address) };
        from.link.writeControl(Message.control(this.#host.localAddress, { operation: { $case: "lookupResult", value } }));
        return;
      }
      case "setCompression":
        return from.link.setCompression(operation.value.enabled, operation.value.thresholdBytes);
      case "goodbye":
        from.closeReason = operation.value.reason || "goodbye";
        from.endsSession = true;
        return;
      case "hello":
        this.#host.counters.protocolErrors++;
        return this.drop(from, CloseCode.HANDSHAKE, "second Hello on an open connection", "SerializationError");
      default:
    }
  }

  /** A consumer whose socket buffers past the bound is disconnected instead of growing the hub's memory. */
  checkConsumer(target: AgentConnection): void {
    const { sessionBufferBytes, maxConsumerBufferBytes } = this.#host.tuning;
    const kept = target.session?.bufferedBytes ?? 0;
    if (target.state === "parked") {
      if (kept > sessionBufferBytes) this.admission.expire(target, `session expired: more than ${sessionBufferBytes} bytes kept for it`);
      return;
    }
    // connected: what is kept is what is in flight plus the Ack lag, so allow for both bounds
    if (kept > sessionBufferBytes + maxConsumerBufferBytes) {
      this.#host.counters.slowConsumersDropped++;
      this.drop(target, CloseCode.POLICY, `slow consumer: ${kept} bytes unacknowledged`, "QueueFull");
      target.socket.terminate();
      return;
    }
    if (target.state !== "open") return;
    const buffered = target.bufferedBytes;
    if (buffered > this.#host.tuning.maxConsumerBufferBytes) {
      this.#host.counters.slowConsumersDropped++;
      this.drop(target, CloseCode.POLICY, `slow consumer: ${buffered} bytes buffered, bound ${this.#host.tuning.maxConsumerBufferBytes}`, "QueueFull");
      target.socket.terminate();
    }
  }

  /** Writes `message` to `target` with `destination` set to `to` for this write only. */
  write(target: AgentConnection, to: string | undefined, message: Message): void {
    const envelope = message.envelope;
    const previous = envelope.destination;
    envelope.destination = to;
    try {
      target.link.sendEnvelope(envelope);
      target.messagesOut++;
    } finally {
      envelope.destination = previous;
    }
    this.checkConsumer(target);
  }

  /** Heartbeat duty for every open connection (one timer for the hub). */
  sweep(): void {
    const now = Date.now();
    for (const connection of [...this.#host.router.agents.values(), ...this.#host.router.hubs.values()]) {
      if (connection.state !== "open") continue;
      if (!connection.link.tick(now, this.#host.tuning.heartbeatIntervalMs, this.#host.tuning.heartbeatTimeoutMs)) {
        this.#host.counters.heartbeatTimeouts++;
        connection.closeReason = "heartbeat timeout";
        connection.socket.terminate();
      }
    }
  }

  /** Closes one connection with Goodbye{reason, code} and a close code; the others are untouched. */
  drop(connection: AgentConnection, closeCode: number, reason: string, code: string): void {
    clearTimeout(connection.helloTimer);
    connection.endsSession = true;
    connection.closeReason ??= reason;
    connection.link.close(closeCode, reason, code);
    this.onClosed(connection, reason);
  }

  /** The socket closed (or the hub dropped it): park a session, or forget the connection. */
  onClosed(connection: AgentConnection, reason: string): void {
    clearTimeout(connection.helloTimer);
    connection.link.dispose();
    if (connection.socket.readyState === 3) this.open.delete(connection);
    if (connection.state === "closed") return;
    const wasOpen = connection.state === "open";
    if (wasOpen && this.#host.isOpen() && connection.session !== undefined && !connection.endsSession) return this.admission.park(connection);
    connection.state = "closed";
    if (wasOpen && this.#host.isOpen()) this.#host.router.remove(connection, connection.closeReason ?? reason);
  }
}

/** A plain Uint8Array view of a Buffer: decoded `bytes` fields are then Uint8Arrays, not Buffers. */
function plainBytes(data: Buffer): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

import type { IncomingMessage } from "node:http";
import type { WebSocket } from "ws";
import type { Control } from "../../../../generated/swarm/transport/v1/control.js";
import type { Envelope } from "../../../../generated/swarm/transport/v1/envelope.js";
import { isEndToEndControl } from "../../../protocol/control.js";
import type { EnvelopeRoute } from "../../../protocol/envelope-route.js";
import { MAX_HEADER_BYTES } from "../../../protocol/limits.js";
import { Message } from "../../../protocol/message.js";
import type { TransportConfig } from "../../../transport/config.js";
import { TransportError, type TransportErrorCode } from "../../../transport/errors.js";
import type { StatsRecorder } from "../../../transport/stats.js";
import { closeAndWait, HEARTBEAT_TIMEOUT_CODE, Link } from "../link.js";
import type { WebSocketTuning } from "../options.js";
import { CloseCode, ReadyState } from "../socket.js";
import { AgentConnection } from "./agent-connection.js";
import type { HubAdmission } from "./hub-admission.js";
import type { HubEvents } from "./hub-events.js";
import type { HubRouter } from "./hub-router.js";
import type { HubCounters } from "./hub-stats.js";
import type { Presence } from "./presence.js";
import type { ServiceTable } from "./service-table.js";
import { limitFrameSize } from "./ws-limits.js";

/**
 * Largest frame accepted before a connection's Hello is admitted: a Hello at the wire limits
 * (metadata and capabilities each up to MAX_HEADER_BYTES) fits, a bomb does not.
 */
export const MAX_HELLO_FRAME_BYTES = 2 * MAX_HEADER_BYTES + 16 * 1024;

/** How a hub handles its sockets. @internal */
export interface HubConnectionsOptions {
  /** The hub's id (the source of what it writes itself). */
  hubId: string;
  config: Readonly<TransportConfig>;
  tuning: Readonly<WebSocketTuning>;
  /** Whether the hub is open (not closing): a closing hub accepts nothing and parks nothing. */
  isOpen(): boolean;
  /** Where agents' `Services` announcements go. */
  services: ServiceTable;
  /** Told of agents parked, gone, and connections dropped. */
  events: HubEvents;
}

/**
 * A hub's sockets: accepting them, reading their frames (bad input closes only that
 * connection, with a close code and a Goodbye naming the reason; until its Hello is admitted a
 * connection may send no frame over MAX_HELLO_FRAME_BYTES), the hub's own control (Lookup,
 * Watch, SetCompression, Goodbye), the source check (an agent sends as itself, a hub link as
 * an id it announced), the slow-consumer bound (on everything written, control replies
 * included), heartbeats, and what happens when a socket closes (a session is parked, anything
 * else is forgotten and reported gone).
 * @internal
 */
export class HubConnections {
  readonly #options: HubConnectionsOptions;
  readonly #router: HubRouter;
  readonly #admission: HubAdmission;
  readonly #counters: HubCounters;
  readonly #stats: StatsRecorder;
  readonly #presence: Presence;
  /** Every socket not yet closed, including hub links and connections still in their handshake. */
  readonly #open = new Set<AgentConnection>();

  /** `stats` are the hub endpoint's (bytes and errors of every socket count there). */
  constructor(options: HubConnectionsOptions, router: HubRouter, admission: HubAdmission, counters: HubCounters, stats: StatsRecorder, presence: Presence) {
    this.#presence = presence;
    this.#options = options;
    this.#router = router;
    this.#admission = admission;
    this.#counters = counters;
    this.#stats = stats;
  }

  /** A socket the server accepted: waits for its Hello (within connectionTimeoutMs). */
  accept(socket: WebSocket, request: IncomingMessage): void {
    if (!this.#options.isOpen()) return socket.terminate();
    const { maxMessageSize, compressionThreshold, connectionTimeoutMs } = this.#options.config;
    const link = new Link(socket, this.#options.hubId, maxMessageSize, compressionThreshold, this.#stats);
    const connection = new AgentConnection(socket, link, request.socket.remoteAddress ?? "");
    limitFrameSize(socket, MAX_HELLO_FRAME_BYTES);
    this.#open.add(connection);
    connection.helloTimer = setTimeout(() => this.#drop(connection, CloseCode.HANDSHAKE, `no Hello within ${connectionTimeoutMs} ms`, "Timeout"), connectionTimeoutMs);
    socket.on("message", (data: Buffer, isBinary: boolean) => this.#onFrame(connection, data, isBinary, request));
    socket.on("close", () => this.#onClosed(connection, "closed"));
    socket.on("error", (error: Error & { code?: string }) => {
      this.#counters.protocolErrors++;
      this.#stats.errors++;
      // ws closes the socket itself (1009 for a frame over maxPayload, 1002 for bad framing)
      connection.closeReason = error.code === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH" ? `message too large (max ${maxMessageSize + 1} bytes)` : error.message;
    });
  }

  /** Registers an outgoing hub link (already handshaken) and starts reading it. */
  attachHubLink(connection: AgentConnection, handoff: (listener: (event: { data: unknown }) => void) => void): void {
    this.#open.add(connection);
    connection.socket.on("close", () => this.#onClosed(connection, "closed"));
    handoff((event) => this.#onFrame(connection, event.data as Buffer, true, undefined));
    this.#router.add(connection);
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

  /**
   * Heartbeat duty for every open connection (one timer for the hub). A connection silent past
   * the timeout gets Goodbye{code "Timeout"} and close 1008 (cut off if it does not answer the
   * close within 1 s); its session, if any, is parked as for any lost link.
   */
  sweep(): void {
    const now = Date.now();
    const { heartbeatIntervalMs, heartbeatTimeoutMs } = this.#options.tuning;
    for (const connection of this.#router.connections()) {
      if (connection.state !== "open" || connection.socket.readyState !== ReadyState.OPEN) continue;
      if (!connection.link.tick(now, heartbeatIntervalMs, heartbeatTimeoutMs)) {
        this.#counters.heartbeatTimeouts++;
        connection.closeReason = "heartbeat timeout";
        this.#options.events.emit({ type: "dropped", agentId: connection.agentId, remoteAddress: connection.remoteAddress, reason: "heartbeat timeout", code: "Timeout" });
        void closeAndWait(connection.link, "heartbeat timeout", CloseCode.POLICY, HEARTBEAT_TIMEOUT_CODE);
      }
    }
  }

  /** Says Goodbye on every socket and waits for them to close (at most 1 s each). */
  async closeAll(): Promise<void> {
    await Promise.all(
      [...this.#open].map((connection) => {
        clearTimeout(connection.helloTimer);
        return closeAndWait(connection.link, "hub closing");
      }),
    );
  }

  /** One incoming WebSocket message of `connection`. */
  #onFrame(connection: AgentConnection, data: Buffer, isBinary: boolean, request: IncomingMessage | undefined): void {
    this.#counters.framesReceived++;
    if (connection.state === "closed") return;
    try {
      if (!isBinary) throw new TransportError("SerializationError", "text message: frames are binary messages");
      for (const body of connection.link.bodies(plainBytes(data))) {
        if ((connection.state as AgentConnection["state"]) === "closed") return;
        if (connection.state === "open") {
          // routed by the fields routing needs; the payload is walked, not decoded (forwarded as it came)
          const route = connection.link.readBody(body);
          connection.messagesIn++;
          this.#route(connection, route, body);
          continue;
        }
        const envelope = connection.link.decodeBody(body);
        connection.messagesIn++;
        if (connection.state === "hello" && request !== undefined) {
          clearTimeout(connection.helloTimer);
          void this.#admission.admit(connection, envelope, request, this.#drop);
        } else {
          this.#counters.protocolErrors++;
          return this.#drop(connection, CloseCode.HANDSHAKE, "message before HelloAck", "SerializationError");
        }
      }
    } catch (error) {
      this.#counters.protocolErrors++;
      const { closeCode, reason, code } = frameFailure(error);
      this.#drop(connection, closeCode, reason, code);
    }
  }

  /** An open connection's envelope: control for the hub, or a message to route as received. */
  #route(from: AgentConnection, envelope: EnvelopeRoute, body: Uint8Array): void {
    const kind = envelope.kind;
    if (kind === undefined || kind === "heartbeat") return;
    if (kind === "control" && !isEndToEndControl(envelope.envelope())) return this.#onControl(from, envelope.envelope());
    if (from.isHub ? !this.#router.announcedBy(from, envelope.source) : envelope.source !== from.agentId) {
      if (from.isHub) this.#counters.linkViolations++;
      else this.#counters.spoofedSources++;
      const sender = from.isHub ? `an id hub "${from.agentId}" announced` : `the sending agent "${from.agentId}"`;
      return this.#router.undeliverable(from, envelope, "InvalidAddress", `source "${envelope.source}" is not ${sender}`);
    }
    this.#router.route(from, envelope, body);
  }

  #onControl(from: AgentConnection, envelope: Envelope): void {
    if (this.#router.onControl(from, envelope)) return;
    const operation = envelope.payload?.$case === "control" ? envelope.payload.value.operation : undefined;
    switch (operation?.$case) {
      case "lookup": {
        const address = operation.value.address;
        const here = this.#router.lookup(address);
        const answer = (result: { found: boolean; window: number }) => {
          if (from.state !== "open") return;
          if (result.found && !from.isHub) this.#presence.watch(from.agentId, address);
          this.#reply(from, { $case: "lookupResult", value: { address, ...result } });
        };
        // not here: a hub on a NATS backplane asks the swarm
        if (here.found || this.#router.backplane === undefined) answer(here);
        else void this.#router.resolve(address).then(answer);
        return;
      }
      case "watch": {
        if (from.isHub) return;
        const { address, all, stop } = operation.value;
        if (all) this.#presence.subscribe(from.agentId, !stop);
        if (address === "") return;
        if (stop) return this.#presence.unwatch(from.agentId, address);
        const watch = (result: { found: boolean }) => {
          if (from.state === "closed") return;
          if (result.found) this.#presence.watch(from.agentId, address);
          else if (from.state === "open") this.#reply(from, { $case: "peerGone", value: { address, reason: "not connected" } });
        };
        // an agent elsewhere on a NATS backplane is watched like one here (its hub's presence reports it gone)
        const here = this.#router.lookup(address);
        if (here.found || this.#router.backplane === undefined) watch(here);
        else void this.#router.resolve(address).then(watch);
        return;
      }
      case "services":
        if (!from.isHub) this.#options.services.announce(from.agentId, operation.value);
        return;
      case "setCompression":
        return from.link.setCompression(operation.value.enabled, operation.value.thresholdBytes);
      case "flowControl":
        return from.link.setPaused(operation.value.pause);
      case "goodbye":
        from.closeReason = operation.value.reason || "goodbye";
        // an agent leaving ends its session; one that timed out the hub's heartbeats only drops the link
        from.endsSession = operation.value.code !== HEARTBEAT_TIMEOUT_CODE;
        return;
      case "hello":
        this.#counters.protocolErrors++;
        return this.#drop(from, CloseCode.HANDSHAKE, "second Hello on an open connection", "SerializationError");
      default:
    }
  }

  /** The hub's answer to a connection's control: written like everything else, under the slow-consumer bound. */
  #reply(to: AgentConnection, operation: NonNullable<Control["operation"]>): void {
    to.link.writeControl(Message.control(this.#options.hubId, { operation }));
    this.checkConsumer(to);
  }

  /**
   * Holds `target` to the slow-consumer bound after something was written to it: a consumer
   * whose socket (or session copy) buffers past the bound is disconnected instead of growing
   * the hub's memory.
   */
  readonly checkConsumer = (target: AgentConnection): void => {
    const { sessionBufferBytes, maxConsumerBufferBytes } = this.#options.tuning;
    const kept = target.session?.bufferedBytes ?? 0;
    if (target.state === "parked") return this.#admission.keeps(target, kept);
    // Connected: what is kept is what is in flight plus the Ack lag, so allow for both bounds. A
    // healthy agent's Acks can lag further: they queue behind its own outgoing data in the same
    // TCP stream (1,000 concurrent 314 KB calls kept 16 MiB unacknowledged for a reading agent).
    // So past the bound only an agent whose Acks stopped coming, or one past four times it, goes.
    const bound = sessionBufferBytes + maxConsumerBufferBytes;
    const acksStalled = (target.session?.ackOverdueMs(Date.now()) ?? 0) > ACK_STALL_MS;
    if (kept > 4 * bound || (kept > bound && acksStalled)) {
      this.#counters.slowConsumersDropped++;
      this.#drop(target, CloseCode.POLICY, `slow consumer: ${kept} bytes unacknowledged`, "QueueFull");
      target.socket.terminate();
      return;
    }
    if (target.state !== "open") return;
    const buffered = target.bufferedBytes;
    if (buffered > maxConsumerBufferBytes) {
      this.#counters.slowConsumersDropped++;
      this.#drop(target, CloseCode.POLICY, `slow consumer: ${buffered} bytes buffered, bound ${maxConsumerBufferBytes}`, "QueueFull");
      target.socket.terminate();
    }
  };

  /** Closes one connection with Goodbye{reason, code} and a close code; the others are untouched. */
  readonly #drop = (connection: AgentConnection, closeCode: number, reason: string, code: string): void => {
    clearTimeout(connection.helloTimer);
    if (connection.state !== "closed") this.#options.events.emit({ type: "dropped", agentId: connection.agentId, remoteAddress: connection.remoteAddress, reason, code });
    connection.endsSession = true;
    connection.closeReason ??= reason;
    connection.link.close(closeCode, reason, code);
    this.#onClosed(connection, reason);
  };

  /** The socket closed (or the hub dropped it): park a session, or forget the connection. */
  #onClosed(connection: AgentConnection, reason: string): void {
    clearTimeout(connection.helloTimer);
    connection.link.dispose();
    if (connection.socket.readyState === ReadyState.CLOSED) this.#open.delete(connection);
    if (connection.state === "closed") return;
    const wasOpen = connection.state === "open";
    const hubOpen = this.#options.isOpen();
    if (wasOpen && hubOpen && connection.session !== undefined && !connection.endsSession) {
      this.#options.events.emit({ type: "parked", agentId: connection.agentId, reason: connection.closeReason ?? reason });
      return this.#admission.park(connection);
    }
    connection.state = "closed";
    if (!wasOpen || !hubOpen) return;
    this.#router.remove(connection, connection.closeReason ?? reason);
    this.#options.events.emit({ type: "left", agentId: connection.agentId, reason: connection.closeReason ?? reason });
  }
}

/** A connected agent past its unacknowledged-bytes bound whose Acks have not moved for this long is a slow consumer. */
const ACK_STALL_MS = 5000;

/**
 * How a connection whose frame could not be read is closed: 1009 for MessageTooLarge, otherwise
 * 4000; the Goodbye carries the error's code, or SerializationError when what was thrown is not
 * a TransportError (e.g. a RangeError from a compression plug-in).
 */
function frameFailure(error: unknown): { closeCode: number; reason: string; code: TransportErrorCode } {
  const code = TransportError.is(error) ? error.code : "SerializationError";
  const reason = `bad frame: ${error instanceof Error ? error.message : String(error)}`;
  return { closeCode: code === "MessageTooLarge" ? CloseCode.TOO_LARGE : CloseCode.SERIALIZATION, reason, code };
}

/** A plain Uint8Array view of a Buffer: decoded `bytes` fields are then Uint8Arrays, not Buffers. */
function plainBytes(data: Buffer): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

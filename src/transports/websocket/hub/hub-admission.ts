import type { IncomingMessage } from "node:http";
import type { Envelope } from "../../../../generated/swarm/transport/v1/envelope.js";
import type { TransportConfig } from "../../../transport/config.js";
import { TransportError } from "../../../transport/errors.js";
import type { StatsRecorder } from "../../../transport/stats.js";
import { acceptHello, helloAck, localCapabilities } from "../handshake.js";
import {
  BATCH_CAPABILITY,
  COMPRESSION_CAPABILITY,
  HEARTBEAT_INTERVAL_KEY,
  HEARTBEAT_TIMEOUT_KEY,
  HUB_ROLE,
  MAX_MESSAGE_SIZE_KEY,
  RECEIVE_WINDOW_KEY,
  ROLE_KEY,
  SESSION_BUFFER_KEY,
  SESSION_GRACE_KEY,
  type WebSocketTuning,
} from "../options.js";
import { newSessionId, RESUME_CAPABILITY, RESUME_RECEIVED_KEY, RESUMED_KEY, Session, SESSION_KEY } from "../session.js";
import { CloseCode } from "../socket.js";
import type { AgentConnection } from "./agent-connection.js";
import type { HubAuthRequest } from "./hub-auth-request.js";
import type { HubRouter } from "./hub-router.js";
import type { HubCounters } from "./hub-stats.js";

/** Closes a connection that admission turned away, with a close code and Goodbye{reason, code}. @internal */
export type Refuse = (connection: AgentConnection, closeCode: number, reason: string, code: string) => void;

/** How a hub admits agents. @internal */
export interface HubAdmissionOptions {
  /** The hub's id (the source of its HelloAck). */
  hubId: string;
  config: Readonly<TransportConfig>;
  tuning: Readonly<WebSocketTuning>;
  /** Sent to every agent in HelloAck. */
  metadata: Readonly<Record<string, string>>;
  /** Accepts (true) or refuses (false, or throws) an agent before it is registered. */
  authenticate: ((request: HubAuthRequest) => boolean | Promise<boolean>) | undefined;
  /** Whether the hub still admits anyone (not closing). */
  isOpen(): boolean;
}

/**
 * A hub's door: checks a connection's Hello (version, capabilities), runs the authentication
 * hook, refuses taken ids, answers HelloAck, and keeps sessions: an agent whose link drops is
 * parked (still routable, messages kept) for `sessionGraceMs`, and resumes when its next Hello
 * names the session; otherwise the session expires and the agent is reported gone.
 * @internal
 */
export class HubAdmission {
  readonly #options: HubAdmissionOptions;
  readonly #router: HubRouter;
  readonly #counters: HubCounters;
  readonly #stats: StatsRecorder;
  /** Parked agents and when their session expires. */
  readonly #graceTimers = new Map<AgentConnection, ReturnType<typeof setTimeout>>();

  /** `stats` are the hub endpoint's: what an expired session held counts as dropped there. */
  constructor(options: HubAdmissionOptions, router: HubRouter, counters: HubCounters, stats: StatsRecorder) {
    this.#options = options;
    this.#router = router;
    this.#counters = counters;
    this.#stats = stats;
  }

  /** Handles the first envelope of a connection; a connection turned away is closed through `refuse`. */
  async admit(connection: AgentConnection, envelope: Envelope, request: IncomingMessage, refuse: Refuse): Promise<void> {
    const { config, tuning } = this.#options;
    connection.state = "authenticating";
    const capabilities = localCapabilities(config.enableCompression && tuning.compression !== undefined);
    if (tuning.resumeSessions) capabilities.push(RESUME_CAPABILITY);
    let accepted: ReturnType<typeof acceptHello>;
    try {
      accepted = acceptHello(envelope, capabilities);
    } catch (error) {
      this.#counters.protocolErrors++;
      const code = TransportError.is(error) ? error.code : "SerializationError";
      return refuse(connection, code === "VersionMismatch" ? CloseCode.VERSION_MISMATCH : CloseCode.HANDSHAKE, messageOf(error), code);
    }
    const { agentId, negotiated } = accepted;
    if (!(await this.#authenticated(connection, agentId, negotiated.metadata, request, refuse))) return;
    // on a NATS backplane an id is unique across the hubs: another hub (or a NATS agent) answering for it means it is taken
    const backplane = this.#router.backplane;
    if (backplane !== undefined && this.#router.agent(agentId) === undefined && (await backplane.answersElsewhere(agentId))) {
      return refuse(connection, CloseCode.ADDRESS_IN_USE, `agent id "${agentId}" is connected elsewhere in the swarm`, "AddressInUse");
    }
    if (!this.#options.isOpen()) return;
    const agreed = negotiated.capabilities;
    const resumed = this.#takeOver(agentId, agreed.includes(RESUME_CAPABILITY) ? negotiated.metadata[SESSION_KEY] : undefined);
    if (this.#router.isTaken(agentId)) {
      return refuse(connection, CloseCode.ADDRESS_IN_USE, `agent id "${agentId}" is already connected to this hub`, "AddressInUse");
    }
    connection.isHub = negotiated.metadata[ROLE_KEY] === HUB_ROLE;
    connection.agentId = agentId;
    connection.metadata = negotiated.metadata;
    const window = Number(negotiated.metadata[RECEIVE_WINDOW_KEY]);
    connection.window = Number.isSafeInteger(window) && window > 0 ? window : 0;
    connection.state = "open";
    const metadata: Record<string, string> = {
      ...this.#options.metadata,
      [MAX_MESSAGE_SIZE_KEY]: String(config.maxMessageSize),
      [HEARTBEAT_INTERVAL_KEY]: String(tuning.heartbeatIntervalMs),
      [HEARTBEAT_TIMEOUT_KEY]: String(tuning.heartbeatIntervalMs > 0 ? tuning.heartbeatTimeoutMs : 0),
    };
    const resumable = tuning.resumeSessions && agreed.includes(RESUME_CAPABILITY);
    const session = resumed ?? (resumable ? new Session(newSessionId(), tuning.sessionBufferBytes) : undefined);
    if (session !== undefined) {
      metadata[SESSION_GRACE_KEY] = String(tuning.sessionGraceMs);
      metadata[SESSION_BUFFER_KEY] = String(tuning.sessionBufferBytes);
      metadata[SESSION_KEY] = session.id;
      metadata[RESUMED_KEY] = String(resumed !== undefined);
      metadata[RESUME_RECEIVED_KEY] = String(session.received);
    }
    // HelloAck goes out alone and plain; what was negotiated applies from the next frame on
    const link = connection.link;
    link.writeControl(helloAck(this.#options.hubId, negotiated, metadata));
    link.negotiated(tuning.compression, agreed.includes(COMPRESSION_CAPABILITY), agreed.includes(BATCH_CAPABILITY));
    link.session = session;
    this.#router.add(connection);
    if (resumed === undefined) return;
    this.#counters.sessionsResumed++;
    resumed.resetAckState();
    try {
      for (const body of resumed.resendAfter(Number(negotiated.metadata[RESUME_RECEIVED_KEY] ?? 0))) link.resend(body);
    } catch (error) {
      refuse(connection, CloseCode.HANDSHAKE, messageOf(error), "ConnectionError");
    }
  }

  /** The agent's link dropped and it has a session: it stays routable, its messages kept, for the grace period. */
  park(connection: AgentConnection): void {
    connection.state = "parked";
    const grace = this.#options.tuning.sessionGraceMs;
    this.#graceTimers.set(
      connection,
      setTimeout(() => this.expire(connection, `session expired: no reconnect within ${grace} ms`), grace),
    );
  }

  /** Gives up a parked session: the agent is gone. */
  expire(connection: AgentConnection, reason: string): void {
    if (connection.state !== "parked") return;
    this.#unpark(connection);
    this.#counters.sessionsExpired++;
    this.#stats.messagesDropped += connection.session?.unacked ?? 0;
    this.#router.remove(connection, reason);
  }

  /** Stops every grace timer (the hub is closing). */
  close(): void {
    for (const timer of this.#graceTimers.values()) clearTimeout(timer);
    this.#graceTimers.clear();
  }

  async #authenticated(connection: AgentConnection, agentId: string, metadata: Record<string, string>, request: IncomingMessage, refuse: Refuse): Promise<boolean> {
    const authenticate = this.#options.authenticate;
    if (authenticate === undefined) return true;
    const token = /^Bearer (.+)$/i.exec(metadata["authorization"] ?? "")?.[1];
    let ok = false;
    try {
      ok = await authenticate({ agentId, metadata, token, request });
    } catch {
      ok = false;
    }
    if (connection.state !== "authenticating") return false;
    if (ok) return true;
    this.#counters.authRejections++;
    refuse(connection, CloseCode.UNAUTHENTICATED, `agent "${agentId}" was not authenticated`, "Unauthenticated");
    return false;
  }

  /**
   * An agent id coming back while parked takes its place: its session resumes when the Hello
   * names it (`sessionId`), otherwise it is discarded (what it held counts as dropped).
   */
  #takeOver(agentId: string, sessionId: string | undefined): Session | undefined {
    const parked = this.#router.unpark(agentId);
    if (parked === undefined) return undefined;
    this.#unpark(parked);
    if (sessionId !== undefined && parked.session?.id === sessionId) return parked.session;
    this.#stats.messagesDropped += parked.session?.unacked ?? 0;
    return undefined;
  }

  /** Ends a parked connection's grace period: it is closed for good. */
  #unpark(connection: AgentConnection): void {
    clearTimeout(this.#graceTimers.get(connection));
    this.#graceTimers.delete(connection);
    connection.state = "closed";
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

import type { IncomingMessage } from "node:http";
import type { Envelope } from "../../../../generated/swarm/transport/v1/envelope.js";
import type { TransportConfig } from "../../../transport/config.js";
import type { TransportError } from "../../../transport/errors.js";
import type { AgentConnection } from "./agent-connection.js";
import type { EndpointCore } from "../endpoint.js";
import { acceptHello, helloAck, localCapabilities } from "../handshake.js";
import type { HubRouter } from "./hub-router.js";
import type { HubCounters } from "./hub-stats.js";
import { BATCH_CAPABILITY, COMPRESSION_CAPABILITY, HUB_ROLE, MAX_MESSAGE_SIZE_KEY, RECEIVE_WINDOW_KEY, ROLE_KEY, type WebSocketTuning } from "../options.js";
import { newSessionId, RESUME_CAPABILITY, RESUME_RECEIVED_KEY, RESUMED_KEY, Session, SESSION_KEY } from "../session.js";
import { CloseCode } from "../socket.js";

/** What an authentication hook sees: the agent's Hello, before it is registered or routed to. */
export interface HubAuthRequest {
  agentId: string;
  metadata: Readonly<Record<string, string>>;
  /** The bearer token from `metadata.authorization` ("Bearer <token>"), if any. */
  token: string | undefined;
  /** The HTTP upgrade request (headers, remote address). */
  request: IncomingMessage;
}

/** What admission needs from its hub. @internal */
export interface AdmissionHost {
  readonly localAddress: string;
  readonly config: Readonly<TransportConfig>;
  readonly tuning: Readonly<WebSocketTuning>;
  readonly metadata: Readonly<Record<string, string>>;
  readonly authenticate: ((request: HubAuthRequest) => boolean | Promise<boolean>) | undefined;
  readonly router: HubRouter;
  readonly counters: HubCounters;
  readonly core: EndpointCore;
  isOpen(): boolean;
  drop(connection: AgentConnection, closeCode: number, reason: string, code: string): void;
}

/**
 * A hub's door: checks a connection's Hello (version, capabilities), runs the authentication
 * hook, refuses taken ids, answers HelloAck, and keeps sessions: an agent whose link drops is
 * parked (still routable, messages kept) for `sessionGraceMs`, and resumes when its next Hello
 * names the session; otherwise the session expires and the agent is reported gone.
 * @internal
 */
export class HubAdmission {
  readonly #host: AdmissionHost;

  constructor(host: AdmissionHost) {
    this.#host = host;
  }

  /** Handles the first envelope of a connection. */
  async admit(connection: AgentConnection, envelope: Envelope, request: IncomingMessage): Promise<void> {
    const host = this.#host;
    clearTimeout(connection.helloTimer);
    connection.state = "authenticating";
    const capabilities = localCapabilities(host.config.enableCompression && host.tuning.compression !== undefined);
    if (host.tuning.resumeSessions) capabilities.push(RESUME_CAPABILITY);
    let accepted: ReturnType<typeof acceptHello>;
    try {
      accepted = acceptHello(envelope, capabilities);
    } catch (error) {
      const e = error as TransportError;
      host.counters.protocolErrors++;
      return host.drop(connection, e.code === "VersionMismatch" ? CloseCode.VERSION_MISMATCH : CloseCode.HANDSHAKE, e.message, e.code);
    }
    const { agentId, negotiated } = accepted;
    if (!(await this.#authenticated(connection, agentId, negotiated.metadata, request))) return;
    if (!host.isOpen()) return;
    const agreed = negotiated.capabilities;
    const resumed = this.#takeOver(agentId, agreed.includes(RESUME_CAPABILITY) ? negotiated.metadata[SESSION_KEY] : undefined);
    if (host.router.isTaken(agentId)) {
      return host.drop(connection, CloseCode.ADDRESS_IN_USE, `agent id "${agentId}" is already connected to this hub`, "AddressInUse");
    }
    connection.isHub = negotiated.metadata[ROLE_KEY] === HUB_ROLE;
    connection.agentId = agentId;
    connection.metadata = negotiated.metadata;
    const window = Number(negotiated.metadata[RECEIVE_WINDOW_KEY]);
    connection.window = Number.isSafeInteger(window) && window > 0 ? window : 0;
    connection.state = "open";
    const metadata: Record<string, string> = { ...host.metadata, [MAX_MESSAGE_SIZE_KEY]: String(host.config.maxMessageSize) };
    const resumable = host.tuning.resumeSessions && agreed.includes(RESUME_CAPABILITY);
    const session = resumed ?? (resumable ? new Session(newSessionId(), host.tuning.sessionBufferBytes) : undefined);
    if (session !== undefined) {
      metadata[SESSION_KEY] = session.id;
      metadata[RESUMED_KEY] = String(resumed !== undefined);
      metadata[RESUME_RECEIVED_KEY] = String(session.received);
    }
    // HelloAck goes out alone and plain; what was negotiated applies from the next frame on
    const link = connection.link;
    link.writeControl(helloAck(host.localAddress, negotiated, metadata));
    link.negotiated(host.tuning.compression, agreed.includes(COMPRESSION_CAPABILITY), agreed.includes(BATCH_CAPABILITY));
    link.session = session;
    host.router.add(connection);
    if (resumed === undefined) return;
    host.counters.sessionsResumed++;
    resumed.resetAckState();
    try {
      for (const body of resumed.resendAfter(Number(negotiated.metadata[RESUME_RECEIVED_KEY] ?? 0))) link.resend(body);
    } catch (error) {
      host.drop(connection, CloseCode.HANDSHAKE, (error as Error).message, "ConnectionError");
    }
  }

  /** The agent's link dropped and it has a session: it stays routable, its messages kept, for the grace period. */
  park(connection: AgentConnection): void {
    connection.state = "parked";
    const grace = this.#host.tuning.sessionGraceMs;
    connection.graceTimer = setTimeout(() => this.expire(connection, `session expired: no reconnect within ${grace} ms`), grace);
  }

  /** Gives up a parked session: the agent is gone. */
  expire(connection: AgentConnection, reason: string): void {
    if (connection.state !== "parked") return;
    const host = this.#host;
    clearTimeout(connection.graceTimer);
    connection.state = "closed";
    host.counters.sessionsExpired++;
    host.core.stats.messagesDropped += connection.session?.unacked ?? 0;
    host.router.remove(connection, reason);
  }

  async #authenticated(connection: AgentConnection, agentId: string, metadata: Record<string, string>, request: IncomingMessage): Promise<boolean> {
    const host = this.#host;
    if (host.authenticate === undefined) return true;
    const token = /^Bearer (.+)$/i.exec(metadata["authorization"] ?? "")?.[1];
    let ok = false;
    try {
      ok = await host.authenticate({ agentId, metadata, token, request });
    } catch {
      ok = false;
    }
    if (connection.state !== "authenticating") return false;
    if (ok) return true;
    host.counters.authRejections++;
    host.drop(connection, CloseCode.UNAUTHENTICATED, `agent "${agentId}" was not authenticated`, "Unauthenticated");
    return false;
  }

  /**
   * An agent id coming back while parked takes its place: its session resumes when the Hello
   * names it (`sessionId`), otherwise it is discarded (what it held counts as dropped).
   */
  #takeOver(agentId: string, sessionId: string | undefined): Session | undefined {
    const host = this.#host;
    const parked = host.router.agents.get(agentId);
    if (parked?.state !== "parked") return undefined;
    clearTimeout(parked.graceTimer);
    parked.state = "closed";
    host.router.agents.delete(agentId);
    if (sessionId !== undefined && parked.session?.id === sessionId) return parked.session;
    host.core.stats.messagesDropped += parked.session?.unacked ?? 0;
    return undefined;
  }
}

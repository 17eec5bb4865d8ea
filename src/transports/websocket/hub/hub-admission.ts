import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Envelope } from "../../../../generated/swarm/transport/v1/envelope.js";
import { isValidId, MAX_ID_BYTES } from "../../../protocol/limits.js";
import type { TransportConfig } from "../../../transport/config.js";
import { TransportError } from "../../../transport/errors.js";
import { acceptHello, helloAck, localCapabilities } from "../handshake.js";
import {
  BATCH_CAPABILITY,
  MULTICAST_CAPABILITY,
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
import type { HubEvents } from "./hub-events.js";
import { authenticateAgent, authenticateLink, type HubAuthenticate, type HubLinkAccess } from "./auth.js";
import type { HubAuthRequest } from "./hub-auth-request.js";
import type { HubRouter } from "./hub-router.js";
import type { HubCounters } from "./hub-stats.js";
import { allowsId, namesId, type HubIdentity } from "./identity.js";
import type { SessionEnds } from "./session-ends.js";
import { limitFrameSize } from "./ws-limits.js";

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
  /** Authenticates agents; undefined admits anyone for any free id (development). */
  authenticate: HubAuthenticate | undefined;
  /** Who may link as a hub; undefined refuses every hub link. */
  links: HubLinkAccess | undefined;
  /** Whether the hub still admits anyone (not closing). */
  isOpen(): boolean;
  /** Told of agents joining and sessions expiring. */
  events: HubEvents;
}

/**
 * A hub's door: checks a connection's Hello (version, capabilities, id), authenticates it (an
 * agent through the hook, a hub link through its own credential) into an identity that must
 * allow the id, refuses taken ids, answers HelloAck, and keeps sessions: an agent whose link
 * drops is parked (still routable, messages kept) for `sessionGraceMs`, and resumes when its
 * next Hello names the session (the session id is its proof). A Hello for a parked id without
 * that proof is refused, unless its identity names the id exactly: then it takes the id over,
 * and the parked session ends as if expired (its watchers hear PeerGone, the senders of what
 * it held get Undeliverable, and the old holder is told when it comes back).
 * @internal
 */
export class HubAdmission {
  readonly #options: HubAdmissionOptions;
  readonly #router: HubRouter;
  readonly #counters: HubCounters;
  readonly #ends: SessionEnds;
  /** Parked agents (longest parked first) and when their session expires. */
  readonly #graceTimers = new Map<AgentConnection, ReturnType<typeof setTimeout>>();
  /** What each parked session keeps, as last seen, and the sum (bounded by `parkedSessionsBytes`). */
  readonly #parkedBytes = new Map<AgentConnection, number>();
  #parkedTotal = 0;

  constructor(options: HubAdmissionOptions, router: HubRouter, counters: HubCounters, ends: SessionEnds) {
    this.#options = options;
    this.#router = router;
    this.#counters = counters;
    this.#ends = ends;
  }

  /** Handles the first envelope of a connection; a connection turned away is closed through `refuse`. */
  async admit(connection: AgentConnection, envelope: Envelope, request: IncomingMessage, refuse: Refuse): Promise<void> {
    const { config, tuning } = this.#options;
    connection.state = "authenticating";
    const capabilities = localCapabilities(config.enableCompression && tuning.compression !== undefined);
    if (tuning.resumeSessions) capabilities.push(RESUME_CAPABILITY);
    if (tuning.multicast) capabilities.push(MULTICAST_CAPABILITY);
    let accepted: ReturnType<typeof acceptHello>;
    try {
      accepted = acceptHello(envelope, capabilities);
      if (!isValidId(accepted.agentId)) throw new TransportError("InvalidAddress", `agent id longer than ${MAX_ID_BYTES} bytes`);
    } catch (error) {
      this.#counters.protocolErrors++;
      const code = TransportError.is(error) ? error.code : "SerializationError";
      return refuse(connection, code === "VersionMismatch" ? CloseCode.VERSION_MISMATCH : CloseCode.HANDSHAKE, messageOf(error), code);
    }
    const { agentId, negotiated } = accepted;
    const isHub = negotiated.metadata[ROLE_KEY] === HUB_ROLE;
    const identity = await this.#authenticate(connection, agentId, isHub, negotiated.metadata, request, refuse);
    if (identity === undefined || !this.#options.isOpen()) return;
    // on a NATS backplane an id is unique across the hubs: another hub (or a NATS agent) answering for it means it is taken
    const backplane = this.#router.backplane;
    if (!isHub && backplane !== undefined && this.#router.agent(agentId) === undefined && (await backplane.answersElsewhere(agentId))) {
      return refuse(connection, CloseCode.ADDRESS_IN_USE, `agent id "${agentId}" is connected elsewhere in the swarm`, "AddressInUse");
    }
    if (!this.#options.isOpen()) return;
    // links carry neither sessions nor multicast: what crosses them is addressed hop by hop
    const agreed = isHub ? negotiated.capabilities.filter((c) => c !== RESUME_CAPABILITY && c !== MULTICAST_CAPABILITY) : negotiated.capabilities;
    const proof = agreed.includes(RESUME_CAPABILITY) ? negotiated.metadata[SESSION_KEY] : undefined;
    const previous = this.#claimParked(agentId, isHub, identity, proof, connection, refuse);
    if (previous === false) return;
    const resumed = previous?.session;
    if (this.#router.isTaken(agentId)) {
      const reason = (proof !== undefined ? this.#ends.takenOver(proof, agentId) : undefined) ?? `agent id "${agentId}" is already connected to this hub`;
      return refuse(connection, CloseCode.ADDRESS_IN_USE, reason, "AddressInUse");
    }
    connection.isHub = isHub;
    connection.identity = identity;
    connection.agentId = agentId;
    connection.metadata = negotiated.metadata;
    connection.multicast = agreed.includes(MULTICAST_CAPABILITY);
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
    limitFrameSize(connection.socket, config.maxMessageSize + 1);
    const peerMax = Number(negotiated.metadata[MAX_MESSAGE_SIZE_KEY]);
    if (Number.isSafeInteger(peerMax) && peerMax > 0 && peerMax < link.outgoing.maxMessageSize) link.outgoing.maxMessageSize = peerMax;
    link.writeControl(helloAck(this.#options.hubId, { ...negotiated, capabilities: agreed }, metadata));
    link.negotiated(tuning.compression, agreed.includes(COMPRESSION_CAPABILITY), agreed.includes(BATCH_CAPABILITY));
    link.session = session;
    this.#router.add(connection);
    this.#options.events.emit({ type: "joined", agentId, remoteAddress: connection.remoteAddress, isHub: connection.isHub, resumed: resumed !== undefined });
    if (resumed === undefined) return;
    this.#counters.sessionsResumed++;
    connection.resumeFrom(previous!);
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
    this.keeps(connection, connection.session?.bufferedBytes ?? 0);
  }

  /**
   * A parked session now keeps `bytes`: past `sessionBufferBytes` it expires; past
   * `parkedSessionsBytes` for all parked sessions together, the longest-parked ones expire.
   */
  keeps(connection: AgentConnection, bytes: number): void {
    const { sessionBufferBytes, parkedSessionsBytes } = this.#options.tuning;
    if (connection.state !== "parked") return;
    this.#parkedTotal += bytes - (this.#parkedBytes.get(connection) ?? 0);
    this.#parkedBytes.set(connection, bytes);
    if (bytes > sessionBufferBytes) return this.expire(connection, `session expired: more than ${sessionBufferBytes} bytes kept for it`);
    for (const oldest of this.#graceTimers.keys()) {
      if (this.#parkedTotal <= parkedSessionsBytes) break;
      this.expire(oldest, `session expired: parked sessions keep more than ${parkedSessionsBytes} bytes together`);
    }
  }

  /** Gives up a parked session: the agent is gone, and the senders of what it held are told. */
  expire(connection: AgentConnection, reason: string): void {
    if (connection.state !== "parked") return;
    this.#unpark(connection);
    this.#counters.sessionsExpired++;
    this.#router.remove(connection, reason);
    this.#options.events.emit({ type: "left", agentId: connection.agentId, reason });
    this.#ends.dropped(connection, reason);
  }

  /** Stops every grace timer (the hub is closing). */
  close(): void {
    for (const timer of this.#graceTimers.values()) clearTimeout(timer);
    this.#graceTimers.clear();
    this.#parkedBytes.clear();
    this.#parkedTotal = 0;
  }

  async #authenticate(
    connection: AgentConnection,
    agentId: string,
    isHub: boolean,
    metadata: Record<string, string>,
    request: IncomingMessage,
    refuse: Refuse,
  ): Promise<HubIdentity | undefined> {
    const token = /^Bearer (.+)$/i.exec(metadata["authorization"] ?? "")?.[1];
    const authRequest: HubAuthRequest = { agentId, role: isHub ? "hub" : "agent", metadata, token, request };
    let identity: HubIdentity | undefined;
    try {
      identity = isHub ? await authenticateLink(this.#options.links, authRequest) : await authenticateAgent(this.#options.authenticate, authRequest);
    } catch {
      identity = undefined;
    }
    if (connection.state !== "authenticating") return undefined;
    if (identity !== undefined && (isHub || allowsId(identity.ids, agentId))) return identity;
    this.#counters.authRejections++;
    const reason =
      identity !== undefined
        ? `identity "${identity.subject ?? "?"}" may not use agent id "${agentId}"`
        : isHub
          ? this.#options.links === undefined
            ? `hub "${agentId}" may not link: this hub accepts no hub links`
            : `hub "${agentId}" was not authenticated as a hub link`
          : `agent "${agentId}" was not authenticated`;
    refuse(connection, CloseCode.UNAUTHENTICATED, reason, "Unauthenticated");
    return undefined;
  }

  /**
   * An id coming back while parked: the session resumes when the Hello carries its proof (the
   * parked connection is returned, its session to resume); without it, an identity that names the id exactly takes it over (undefined:
   * a fresh session), anyone else is refused (false). Not parked: undefined.
   */
  #claimParked(agentId: string, isHub: boolean, identity: HubIdentity, proof: string | undefined, connection: AgentConnection, refuse: Refuse): AgentConnection | undefined | false {
    const parked = this.#router.agent(agentId);
    if (parked?.state !== "parked") return undefined;
    const session = parked.session;
    if (proof !== undefined && session !== undefined && sameProof(proof, session.id)) {
      this.#router.unpark(agentId);
      this.#unpark(parked);
      return parked;
    }
    if (!isHub && namesId(identity.ids, agentId)) {
      const reason = `session taken over by a new connection for "${agentId}"`;
      this.#unpark(parked);
      this.#counters.sessionsTakenOver++;
      this.#router.remove(parked, reason);
      this.#ends.dropped(parked, reason);
      this.#options.events.emit({ type: "left", agentId, reason });
      if (session !== undefined) this.#ends.remember(session.id, `${reason}: ${session.unacked} unacknowledged message(s) to it were dropped`);
      return undefined;
    }
    const grace = this.#options.tuning.sessionGraceMs;
    refuse(
      connection,
      CloseCode.ADDRESS_IN_USE,
      `agent id "${agentId}" is held by a parked session: resume it with its session proof, or wait up to ${grace} ms`,
      "AddressInUse",
    );
    return false;
  }

  /** Ends a parked connection's grace period: it is closed for good. */
  #unpark(connection: AgentConnection): void {
    clearTimeout(this.#graceTimers.get(connection));
    this.#graceTimers.delete(connection);
    this.#parkedTotal -= this.#parkedBytes.get(connection) ?? 0;
    this.#parkedBytes.delete(connection);
    connection.state = "closed";
  }
}

/** Compares session ids in constant time. */
function sameProof(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

import type { WebSocket } from "ws";
import type { Link } from "../link.js";
import type { Session } from "../session.js";
import { ANYONE, type HubIdentity } from "./identity.js";
import type { AgentInfo } from "./agent-info.js";

/**
 * One accepted socket on a hub, through its lifecycle:
 *
 *   hello ──Hello ok──▶ authenticating ──hook ok──▶ open ──close/timeout/error──▶ closed
 *     │                      │                     │  ▲
 *     │                      │   link lost (session) ▼  │ new link's Hello names the session
 *     │                      │                    parked ──grace over / buffer full──▶ closed
 *     └── anything else ─────┴── hook refuses / bad frame ──▶ closed (Goodbye + close code)
 * @internal
 */
export class AgentConnection {
  readonly socket: WebSocket;
  readonly link: Link;
  readonly remoteAddress: string;
  state: "hello" | "authenticating" | "open" | "parked" | "closed" = "hello";
  agentId = "";
  metadata: Record<string, string> = {};
  /** A link to another hub (Hello metadata role=hub) rather than an agent. */
  isHub = false;
  /** What authentication yielded: the ids it may use (an agent) or announce (a hub link). */
  identity: HubIdentity = ANYONE;
  /** The agent negotiated "multicast": an Event it sends without destination is a publish the hub fans out. */
  multicast = false;
  /** The agent's receive window (Hello metadata), 0 if unmetered. */
  window = 0;
  messagesIn = 0;
  messagesOut = 0;
  /** Messages routed to the agent from other agents: what its receive window meters. */
  meteredIn = 0;
  /** Credit the agent granted back to senders: messages its application took. */
  creditGranted = 0;
  /** Times this agent's session resumed on a new link. */
  reconnections = 0;
  /** The last WebSocket ping's round trip, in ms; undefined until one was answered. */
  rttMs: number | undefined;
  /** Bytes read and written on the links before this one (a resumed session counts them all). */
  #bytesBefore = { in: 0, out: 0 };
  /** When the unanswered ping was sent (`performance.now()`); undefined when none is. */
  #pingSentAt: number | undefined;
  /** Pauses of this socket by the hub's full receive queue. */
  paused = false;
  /** Until the Hello arrives: when the connection is dropped for not sending one. */
  helloTimer: ReturnType<typeof setTimeout> | undefined;
  /** The session ends with this link (the agent said Goodbye, or the hub closed it on purpose). */
  endsSession = false;
  /** Why the connection is closing, once known (told to the other agents in PeerGone). */
  closeReason: string | undefined;

  constructor(socket: WebSocket, link: Link, remoteAddress: string) {
    socket.on("error", () => undefined); // ws emits "error" before "close"; the hub counts it there
    socket.on("pong", this.#onPong);
    this.socket = socket;
    this.link = link;
    this.remoteAddress = remoteAddress;
  }

  /** Writes (or batches) one encoded envelope to the agent. */
  sendBody(body: Uint8Array): void {
    this.link.sendBody(body);
    this.messagesOut++;
  }

  /** Bytes on their way to the agent: in the socket, and in a batch not yet written. */
  get bufferedBytes(): number {
    return this.socket.bufferedAmount + this.link.pendingBytes;
  }

  /** Bytes read from the agent, over every link of its session. */
  get bytesIn(): number {
    return this.#bytesBefore.in + this.link.bytesIn;
  }

  /** Bytes written to the agent, over every link of its session. */
  get bytesOut(): number {
    return this.#bytesBefore.out + this.link.bytesOut;
  }

  /** The agent's session resumed on this connection: its counts go on from `parked`'s. */
  resumeFrom(parked: AgentConnection): void {
    this.messagesIn += parked.messagesIn;
    this.messagesOut += parked.messagesOut;
    this.meteredIn += parked.meteredIn;
    this.creditGranted += parked.creditGranted;
    this.reconnections = parked.reconnections + 1;
    this.#bytesBefore = { in: parked.bytesIn, out: parked.bytesOut };
  }

  /** Sends a WebSocket ping (answered by every WebSocket implementation) unless one is unanswered; its pong sets `rttMs`. */
  ping(): void {
    if (this.#pingSentAt !== undefined || this.state !== "open" || typeof this.socket.ping !== "function") return;
    this.#pingSentAt = performance.now();
    try {
      this.socket.ping();
    } catch {
      this.#pingSentAt = undefined;
    }
  }

  readonly #onPong = (): void => {
    if (this.#pingSentAt === undefined) return;
    this.rttMs = performance.now() - this.#pingSentAt;
    this.#pingSentAt = undefined;
  };

  /** The resumable session, if the agent announced "resume". */
  get session(): Session | undefined {
    return this.link.session;
  }

  readonly pause = (): void => {
    this.paused = true;
    this.socket.pause();
  };

  readonly resume = (): void => {
    this.paused = false;
    this.socket.resume();
  };

  /** `calls`: what the hub's call tracking knows of its calls (zeros when it is off); `watching`: the agents it watches (Presence). */
  info(calls: { serving: number; making: number }, watching: number): AgentInfo {
    return {
      agentId: this.agentId,
      messagesIn: this.messagesIn,
      messagesOut: this.messagesOut,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      lastSeenMs: this.link.lastSeenMs,
      bufferedBytes: this.bufferedBytes,
      unackedMessages: this.session?.unacked ?? 0,
      ackOwed: this.session?.unacknowledgedReceived ?? 0,
      window: this.window,
      unreadMessages: Math.max(0, this.meteredIn - this.creditGranted),
      rttMs: this.rttMs,
      reconnections: this.reconnections,
      callsServing: calls.serving,
      callsMaking: calls.making,
      isHub: this.isHub,
      metadata: this.metadata,
      remoteAddress: this.remoteAddress,
      subject: this.identity.subject,
      watching,
      paused: this.paused,
      holding: this.link.paused,
      state: this.state,
    };
  }
}

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
  /** The agent's receive window (Hello metadata), 0 if unmetered. */
  window = 0;
  messagesIn = 0;
  messagesOut = 0;
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

  info(watching: number): AgentInfo {
    return {
      agentId: this.agentId,
      messagesIn: this.messagesIn,
      messagesOut: this.messagesOut,
      lastSeenMs: this.link.lastSeenMs,
      bufferedBytes: this.bufferedBytes,
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

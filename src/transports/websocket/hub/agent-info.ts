// Public: what `WebSocketHub.agentInfo` returns. Kept apart from the connection class so the
// published types of swarm-transport/node never reach the `ws` package's types.

/** Per-agent facts a hub reports. */
export interface AgentInfo {
  agentId: string;
  /** Frames received from the agent. */
  messagesIn: number;
  /** Frames written to the agent. */
  messagesOut: number;
  /** Bytes of frames read from the agent (over every link of its session). */
  bytesIn: number;
  /** Bytes of frames written to the agent (over every link of its session). */
  bytesOut: number;
  /** When the agent last sent anything, ms since the Unix epoch. */
  lastSeenMs: number;
  /** Bytes the hub's socket still buffers towards the agent. */
  bufferedBytes: number;
  /** Messages sent to the agent on its session that it has not acknowledged yet (in flight, or kept while it is away). */
  unackedMessages: number;
  /** Messages received from the agent on its session that the hub has not acknowledged yet (its Ack goes out within 10 ms, or with the next 32). */
  ackOwed: number;
  /** The agent's receive window: messages each sender may have in flight to it (0: unmetered). */
  window: number;
  /**
   * Messages routed to the agent by other agents that its application has not taken yet, as far
   * as the credit it granted back tells (it grants every half window per sender).
   */
  unreadMessages: number;
  /** Round trip of the hub's last WebSocket ping to it, in ms; undefined until one was answered (see `WebSocketHub.pingAgents`). */
  rttMs: number | undefined;
  /** Times its session resumed on a new link. */
  reconnections: number;
  /** RPC calls routed to it that it has not answered (0 unless the hub tracks calls: `WebSocketHub.callStats`). */
  callsServing: number;
  /** RPC calls it made through the hub that are not answered yet (0 unless the hub tracks calls). */
  callsMaking: number;
  /** A link to another hub rather than an agent. */
  isHub: boolean;
  /** The agent's Hello metadata. */
  metadata: Readonly<Record<string, string>>;
  /** The peer's IP address (or the URL of a hub this hub linked to). */
  remoteAddress: string;
  /** Who authenticated it (a token's subject, "anonymous" without authentication). */
  subject: string | undefined;
  /** Addresses it watches: it hears (PeerGone) when they leave. */
  watching: number;
  /** The hub stopped reading this agent because its own receive queue is full. */
  paused: boolean;
  /** The agent asked the hub to pause (FlowControl): what is routed to it is held until it resumes. */
  holding: boolean;
  /** "open", or "parked" while its link is down and its session kept. */
  state: string;
}

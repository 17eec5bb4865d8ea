// Public: what `WebSocketHub.agentInfo` returns. Kept apart from the connection class so the
// published types of swarm-transport/node never reach the `ws` package's types.

/** Per-agent facts a hub reports. */
export interface AgentInfo {
  agentId: string;
  /** Frames received from the agent. */
  messagesIn: number;
  /** Frames written to the agent. */
  messagesOut: number;
  /** When the agent last sent anything, ms since the Unix epoch. */
  lastSeenMs: number;
  /** Bytes the hub's socket still buffers towards the agent. */
  bufferedBytes: number;
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

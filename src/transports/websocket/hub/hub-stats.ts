/** Hub-wide counters (beside the Transport stats of the hub's own endpoint). */
export interface HubStats {
  /** Agents registered now. */
  connectedAgents: number;
  /** WebSocket messages (frames) read from every connection, well-formed or not. */
  framesReceived: number;
  /** Frames forwarded from one agent to another (a broadcast counts once per receiver). */
  messagesRouted: number;
  /** Messages dropped because their ttl ran out. */
  droppedByTtl: number;
  /** Messages whose destination was unknown (the sender was told with Undeliverable). */
  undeliverable: number;
  /** Connections closed for malformed frames, frames before Hello, or oversize messages. */
  protocolErrors: number;
  /** Agents refused by the authentication hook. */
  authRejections: number;
  /** Agents disconnected for buffering past `maxConsumerBufferBytes`. */
  slowConsumersDropped: number;
  /** Agents dropped for silence past `heartbeatTimeoutMs`. */
  heartbeatTimeouts: number;
  /** Sessions resumed by a reconnecting agent within the grace period. */
  sessionsResumed: number;
  /** Sessions given up: grace period over, or their buffer full while parked. */
  sessionsExpired: number;
  /** Parked sessions taken over by a new connection whose identity names the agent id. */
  sessionsTakenOver: number;
  /** What hub links were refused: PeerJoined for ids they may not announce, envelopes from ids they did not announce. */
  linkViolations: number;
  /**
   * Envelopes an agent sent under another agent's id (dropped, the agent told), and messages
   * from a NATS backplane in the name of an agent of this hub (dropped).
   */
  spoofedSources: number;
}

/** @internal */
export class HubCounters {
  framesReceived = 0;
  messagesRouted = 0;
  droppedByTtl = 0;
  undeliverable = 0;
  protocolErrors = 0;
  authRejections = 0;
  slowConsumersDropped = 0;
  heartbeatTimeouts = 0;
  sessionsResumed = 0;
  sessionsExpired = 0;
  sessionsTakenOver = 0;
  linkViolations = 0;
  spoofedSources = 0;

  snapshot(connectedAgents: number): HubStats {
    return {
      connectedAgents,
      framesReceived: this.framesReceived,
      messagesRouted: this.messagesRouted,
      droppedByTtl: this.droppedByTtl,
      undeliverable: this.undeliverable,
      protocolErrors: this.protocolErrors,
      authRejections: this.authRejections,
      slowConsumersDropped: this.slowConsumersDropped,
      heartbeatTimeouts: this.heartbeatTimeouts,
      sessionsResumed: this.sessionsResumed,
      sessionsExpired: this.sessionsExpired,
      sessionsTakenOver: this.sessionsTakenOver,
      linkViolations: this.linkViolations,
      spoofedSources: this.spoofedSources,
    };
  }
}

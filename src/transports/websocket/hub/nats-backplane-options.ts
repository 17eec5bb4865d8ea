/** Where and how a hub joins a NATS backplane (`WebSocketHubOptions.nats`, CLI `hub --nats`). */
export interface NatsBackplaneOptions {
  /** NATS server URLs (or one comma-separated string); the connection fails over between them. */
  servers: string | string[];
  /** Subjects prefix shared by every hub and NATS agent of the swarm. Default "swarm". */
  subjectPrefix?: string;
  /** Presence heartbeat period for this hub's agents, in ms. Default 5,000 (timeout 3×). */
  heartbeatIntervalMs?: number;
  /** A NATS auth token. */
  token?: string;
}

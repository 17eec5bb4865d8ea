import type { TransportConfig } from "../../transport/config.js";

/** NATS-specific settings of `NatsTransport.connect`, beside the shared `TransportConfig`. Every field has a default. */
export interface NatsTuning {
  /**
   * First token(s) of every subject this transport uses, so several swarms can share a
   * cluster: agents are `<prefix>.a.<id>`, broadcasts `<prefix>.all`, presence
   * `<prefix>.presence`, native events `<prefix>.ev.<subject>`. Default "swarm".
   */
  subjectPrefix: string;
  /** Publish a presence heartbeat this often, in ms. Default 5,000. */
  heartbeatIntervalMs: number;
  /** A peer not heard from for this long, in ms, is reported gone. Default 3 × interval. */
  heartbeatTimeoutMs: number;
  /** Peers tracked by presence; past it new peers are not tracked (no peer-gone for them) and counted. Default 10,000. */
  maxPeers: number;
  /**
   * Bytes published but not yet confirmed by the server (a PING/PONG round trip every
   * `flushEveryBytes`). A send past it waits, like a socket past its high-water mark. Default 8 MiB.
   */
  maxPendingBytes: number;
  /** Confirm with the server (PING/PONG) after this many bytes published. Default 256 KiB. */
  flushEveryBytes: number;
  /** Sends held while waiting (credit, confirmation, reconnection); beyond it `QueueFull`. Default `queueCapacity`. */
  maxBufferedMessages: number;
  /** While reconnecting: true holds sends (bounded as above), false fails them with `ConnectionError`. Default true. */
  bufferWhileDisconnected: boolean;
  /** The NATS client's delay between reconnect attempts, in ms. Default 250. */
  reconnectTimeWaitMs: number;
  /** Name shown by the NATS server's monitoring for this connection. Default "swarm-transport <agent id>". */
  connectionName: string | undefined;
  /** Try the servers in the order given instead of a random one (NATS's default, spreading clients). Default false. */
  noRandomize: boolean;
  /** Durable events (JetStream stream `SWARM_<prefix>`): oldest events go past this age, in ms. Default 24 h. */
  durableMaxAgeMs: number;
  /** ... or past this many bytes stored. Default 256 MiB. */
  durableMaxBytes: number;
  /** ... or past this many events stored. Default 1,000,000. */
  durableMaxMessages: number;
  /** Copies of the stream in the cluster (1..5; at most the number of JetStream servers). Default 1. */
  durableReplicas: number;
  /** A delivered event not acknowledged within this many ms is delivered again. Default 5,000. */
  durableAckWaitMs: number;
  /**
   * Events a durable consumer may have unacknowledged. 1 (the default) keeps the order exact
   * even across a crash mid-handler; more is faster, and then an event whose handler never
   * finished (crash) comes back after `durableAckWaitMs`, possibly after newer ones.
   */
  durableMaxAckPending: number;
  /** A durable consumer nobody attached for this long, in ms, is deleted by the server. Default 7 days. */
  durableInactiveMs: number;
}

export const DEFAULT_NATS_TUNING: Readonly<NatsTuning> = Object.freeze({
  subjectPrefix: "swarm",
  heartbeatIntervalMs: 5000,
  heartbeatTimeoutMs: 15_000,
  maxPeers: 10_000,
  maxPendingBytes: 8 << 20,
  flushEveryBytes: 256 << 10,
  maxBufferedMessages: 10_000,
  bufferWhileDisconnected: true,
  reconnectTimeWaitMs: 250,
  connectionName: undefined,
  noRandomize: false,
  durableMaxAgeMs: 24 * 3600 * 1000,
  durableMaxBytes: 256 << 20,
  durableMaxMessages: 1_000_000,
  durableReplicas: 1,
  durableAckWaitMs: 5000,
  durableMaxAckPending: 1,
  durableInactiveMs: 7 * 24 * 3600 * 1000,
});

const INTEGER_FIELDS = [
  "heartbeatIntervalMs",
  "heartbeatTimeoutMs",
  "maxPeers",
  "maxPendingBytes",
  "flushEveryBytes",
  "maxBufferedMessages",
  "reconnectTimeWaitMs",
  "durableMaxAgeMs",
  "durableMaxBytes",
  "durableMaxMessages",
  "durableReplicas",
  "durableAckWaitMs",
  "durableMaxAckPending",
  "durableInactiveMs",
] as const;

/** Fills defaults (`heartbeatTimeoutMs` 3 × interval, `maxBufferedMessages` = `queueCapacity`) and validates; a bad value is a `RangeError` naming it. */
export function resolveNatsTuning(tuning: Partial<NatsTuning>, config: Readonly<TransportConfig>): Readonly<NatsTuning> {
  const defined = Object.fromEntries(Object.entries(tuning).filter(([, value]) => value !== undefined)) as Partial<NatsTuning>;
  const interval = defined.heartbeatIntervalMs ?? DEFAULT_NATS_TUNING.heartbeatIntervalMs;
  const merged: NatsTuning = { ...DEFAULT_NATS_TUNING, heartbeatTimeoutMs: interval * 3, maxBufferedMessages: config.queueCapacity, ...defined };
  for (const key of INTEGER_FIELDS) {
    const value = merged[key];
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`NATS option ${key} must be an integer >= 0, got ${String(value)}`);
  }
  if (merged.flushEveryBytes < 1 || merged.maxPendingBytes < merged.flushEveryBytes) {
    throw new RangeError(`NATS options need 1 <= flushEveryBytes <= maxPendingBytes, got ${merged.flushEveryBytes} and ${merged.maxPendingBytes}`);
  }
  if (merged.durableReplicas < 1 || merged.durableReplicas > 5 || merged.durableMaxAckPending < 1) {
    throw new RangeError(`NATS options need durableReplicas in 1..5 and durableMaxAckPending >= 1, got ${merged.durableReplicas} and ${merged.durableMaxAckPending}`);
  }
  if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(merged.subjectPrefix)) {
    throw new RangeError(`NATS option subjectPrefix must be dot-separated tokens of letters, digits, "_" and "-", got ${JSON.stringify(merged.subjectPrefix)}`);
  }
  return Object.freeze(merged);
}

/** The `NatsTuning` part of a mixed config object (the rest is `TransportConfig` or another transport's). */
export function natsPart(config: Record<string, unknown>): Partial<NatsTuning> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(DEFAULT_NATS_TUNING)) if (config[key] !== undefined) out[key] = config[key];
  return out as Partial<NatsTuning>;
}

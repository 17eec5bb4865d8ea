import type { TransportConfig } from "../../transport/config.js";
import type { Compression } from "../../protocol/compression.js";

/** WebSocket-specific settings, beside the shared `TransportConfig`. Every field has a default. */
export interface WebSocketTuning {
  /** Send a Heartbeat this often, in ms; 0 disables heartbeats. Default 10,000. */
  heartbeatIntervalMs: number;
  /** A peer silent this long, in ms, is declared dead and its connection dropped. Default 3 × interval. */
  heartbeatTimeoutMs: number;
  /** `send` waits while the socket buffers more than this many bytes. Default 1 MiB. */
  highWaterMarkBytes: number;
  /** Messages a client holds while disconnected or backpressured; beyond it `QueueFull`. Default `queueCapacity`. */
  maxBufferedMessages: number;
  /** While reconnecting: true buffers sends (up to `maxBufferedMessages`), false fails them with `ConnectionError`. Default true. */
  bufferWhileDisconnected: boolean;
  /** First reconnect delay, in ms (exponential backoff with full jitter). Default 100. */
  reconnectBaseDelayMs: number;
  /** Largest reconnect delay, in ms. Default 5000. */
  reconnectMaxDelayMs: number;
  /** Hub: an agent whose socket buffers more than this many bytes is disconnected (slow consumer). Default 16 MiB. */
  maxConsumerBufferBytes: number;
  /** Keep a session across reconnects (capability "resume"): nothing lost, nothing twice. Default true. */
  resumeSessions: boolean;
  /** Hub: how long, in ms, an agent whose link dropped stays routable, its messages kept for it. Default 10,000. */
  sessionGraceMs: number;
  /** Unacknowledged bytes a session keeps for a resend; past it the hub drops the session (and a client waits). Default 8 MiB. */
  sessionBufferBytes: number;
  /** Hub: bytes all parked sessions together may keep; past it the longest-parked session expires. Default 256 MiB. */
  parkedSessionsBytes: number;
  /** Compression used when "compression" is negotiated; without one it is never announced. */
  compression: Compression | undefined;
  /**
   * Client: which departures the hub reports (PeerGone). "asked" (default): agents this client
   * sent to (looked up), that sent it requests or interest, or that broadcast interest; "all":
   * every agent (a presence subscription: one notice per departure on the hub).
   */
  presence: "asked" | "all";
  /**
   * Announce (client) or accept (hub) the capability "multicast": a publish is one Event sent
   * to the hub without destination, and the hub fans it out to the subscribers it knows of
   * (docs/wire-format.md, section 5.11). Default true.
   */
  multicast: boolean;
}

export const DEFAULT_WEBSOCKET_TUNING: Readonly<WebSocketTuning> = Object.freeze({
  heartbeatIntervalMs: 10_000,
  heartbeatTimeoutMs: 30_000,
  highWaterMarkBytes: 1 << 20,
  maxBufferedMessages: 10_000,
  bufferWhileDisconnected: true,
  reconnectBaseDelayMs: 100,
  reconnectMaxDelayMs: 5000,
  maxConsumerBufferBytes: 16 << 20,
  resumeSessions: true,
  sessionGraceMs: 10_000,
  sessionBufferBytes: 8 << 20,
  parkedSessionsBytes: 256 << 20,
  compression: undefined,
  presence: "asked",
  multicast: true,
});

/** Fills defaults; `heartbeatTimeoutMs` defaults to three intervals, `maxBufferedMessages` to `queueCapacity`. */
export function resolveTuning(tuning: Partial<WebSocketTuning>, queueCapacity: number): Readonly<WebSocketTuning> {
  const interval = tuning.heartbeatIntervalMs ?? DEFAULT_WEBSOCKET_TUNING.heartbeatIntervalMs;
  const merged: WebSocketTuning = {
    ...DEFAULT_WEBSOCKET_TUNING,
    maxBufferedMessages: queueCapacity,
    heartbeatTimeoutMs: interval * 3,
    ...stripUndefined(tuning),
  };
  for (const key of [
    "heartbeatIntervalMs",
    "heartbeatTimeoutMs",
    "highWaterMarkBytes",
    "maxBufferedMessages",
    "reconnectBaseDelayMs",
    "reconnectMaxDelayMs",
    "maxConsumerBufferBytes",
    "sessionGraceMs",
    "sessionBufferBytes",
    "parkedSessionsBytes",
  ] as const) {
    const value = merged[key];
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`WebSocket option ${key} must be an integer >= 0, got ${String(value)}`);
  }
  return Object.freeze(merged);
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  const out: Partial<T> = {};
  for (const key of Object.keys(value) as (keyof T)[]) if (value[key] !== undefined) out[key] = value[key];
  return out;
}

/** The capability both sides announce to allow compressed frames. */
export const COMPRESSION_CAPABILITY = "compression";

/** The capability both sides announce to allow batch frames (several envelopes per message). */
export const BATCH_CAPABILITY = "batch";

/** The capability both sides announce to let the hub fan out publishes (an Event without destination). */
export const MULTICAST_CAPABILITY = "multicast";

/** HelloAck metadata key: the hub's maxMessageSize, so a client refuses what the hub would. */
export const MAX_MESSAGE_SIZE_KEY = "max_message_size";

/**
 * HelloAck metadata keys: the hub's heartbeat interval and timeout (a peer silent past the
 * timeout is dropped, so it must send something, a Heartbeat if nothing else, more often), how
 * long it keeps a dropped agent's session, and the unacknowledged bytes it keeps per session.
 */
export const HEARTBEAT_INTERVAL_KEY = "heartbeat_interval_ms";
export const HEARTBEAT_TIMEOUT_KEY = "heartbeat_timeout_ms";
export const SESSION_GRACE_KEY = "session_grace_ms";
export const SESSION_BUFFER_KEY = "session_buffer_bytes";

/** Hello metadata key: the agent's receive window (its queueCapacity), for end-to-end credit. */
export const RECEIVE_WINDOW_KEY = "receive_window";

/** Hello metadata key/value a hub sends when it links to another hub. */
export const ROLE_KEY = "role";
export const HUB_ROLE = "hub";

/** The `TransportConfig` part of a WebSocket config (the rest is `WebSocketTuning`). */
export function transportPart(config: Partial<TransportConfig>): Partial<TransportConfig> {
  const { maxMessageSize, connectionTimeoutMs, retryAttempts, enableCompression, compressionThreshold, queueCapacity, queueCapacityBytes } = config;
  return { maxMessageSize, connectionTimeoutMs, retryAttempts, enableCompression, compressionThreshold, queueCapacity, queueCapacityBytes };
}

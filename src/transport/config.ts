/** Settings shared by every transport. Names and defaults follow the seed crate. */
export interface TransportConfig {
  /** Largest encoded envelope accepted or sent, in bytes. Default 10 MiB. */
  maxMessageSize: number;
  /** Time allowed to connect, and for a send blocked by backpressure, in ms. Default 5000. */
  connectionTimeoutMs: number;
  /** Reconnection attempts before giving up (network transports). Default 3. */
  retryAttempts: number;
  /** Compress frames at or above `compressionThreshold` (byte transports). Default true. */
  enableCompression: boolean;
  /** Smallest envelope, in bytes, that is compressed. Default 1024. */
  compressionThreshold: number;
  /** Messages a receiver holds before senders wait (backpressure). Default 10,000. */
  queueCapacity: number;
  /** Bytes (of encoded messages) a receiver holds before senders wait; one message always fits. Default 64 MiB. */
  queueCapacityBytes: number;
}

/** The seed's defaults, plus the receive queue's bounds. */
export const DEFAULT_TRANSPORT_CONFIG: Readonly<TransportConfig> = Object.freeze({
  maxMessageSize: 10 * 1024 * 1024,
  connectionTimeoutMs: 5000,
  retryAttempts: 3,
  enableCompression: true,
  compressionThreshold: 1024,
  queueCapacity: 10_000,
  queueCapacityBytes: 64 * 1024 * 1024,
});

function requireInteger(name: keyof TransportConfig, value: unknown, min: number): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`TransportConfig.${name} must be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}

/**
 * Fills defaults into a partial config and validates it. Throws `RangeError` naming the field
 * for a value that is not a non-negative integer (or a positive one where zero makes no sense).
 */
export function resolveConfig(config: Partial<TransportConfig> = {}): Readonly<TransportConfig> {
  const merged = { ...DEFAULT_TRANSPORT_CONFIG, ...stripUndefined(config) };
  requireInteger("maxMessageSize", merged.maxMessageSize, 1);
  requireInteger("connectionTimeoutMs", merged.connectionTimeoutMs, 0);
  requireInteger("retryAttempts", merged.retryAttempts, 0);
  requireInteger("compressionThreshold", merged.compressionThreshold, 0);
  requireInteger("queueCapacity", merged.queueCapacity, 1);
  requireInteger("queueCapacityBytes", merged.queueCapacityBytes, 1);
  if (typeof merged.enableCompression !== "boolean") {
    throw new RangeError(`TransportConfig.enableCompression must be a boolean, got ${String(merged.enableCompression)}`);
  }
  return Object.freeze(merged);
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  const out: Partial<T> = {};
  for (const key of Object.keys(value) as (keyof T)[]) {
    if (value[key] !== undefined) out[key] = value[key];
  }
  return out;
}

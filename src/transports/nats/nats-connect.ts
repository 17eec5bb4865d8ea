import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { TransportConfig } from "../../transport/config.js";
import { TransportError } from "../../transport/errors.js";
import { natsError } from "./nats-errors.js";
import type { NatsTuning } from "./nats-options.js";

/** Credentials for the NATS servers. */
export interface NatsAuth {
  /** A NATS auth token. */
  token?: string;
  /** NATS user and password. */
  user?: string;
  pass?: string;
}

/**
 * Opens the NATS connection of agent `agentId` on the first reachable of `servers`: the client
 * reconnects across them (and the servers the cluster gossips) `retryAttempts` times per server,
 * `reconnectTimeWaitMs` apart, and pings every heartbeat interval (3 unanswered: the link is
 * dead). Rejects with `ConnectionError` (or `Timeout`) when no server answers.
 * @internal
 */
export async function openNatsConnection(servers: string[], agentId: string, auth: NatsAuth, config: Readonly<TransportConfig>, tuning: Readonly<NatsTuning>): Promise<NatsConnection> {
  try {
    return await connect({
      servers,
      name: tuning.connectionName ?? `swarm-transport ${agentId}`,
      timeout: Math.max(1, config.connectionTimeoutMs),
      maxReconnectAttempts: config.retryAttempts,
      reconnectTimeWait: tuning.reconnectTimeWaitMs,
      pingInterval: Math.max(1000, tuning.heartbeatIntervalMs),
      maxPingOut: 3,
      noRandomize: tuning.noRandomize,
      ...(auth.token === undefined ? {} : { token: auth.token }),
      ...(auth.user === undefined ? {} : { user: auth.user, pass: auth.pass ?? "" }),
    });
  } catch (error) {
    throw natsError(error, "ConnectionError", `cannot connect to NATS at ${servers.join(",")}`);
  }
}

/** `servers` as a list of URLs. */
export function serverList(servers: string | string[]): string[] {
  const list = (Array.isArray(servers) ? servers : [servers]).flatMap((s) => s.split(",")).map((s) => s.trim()).filter((s) => s.length > 0);
  if (list.length === 0) throw new TransportError("InvalidAddress", "no NATS server URL given", { address: String(servers) });
  return list;
}

/** The `TransportConfig` part of a mixed config object. */
export function transportPart(config: Partial<TransportConfig>): Partial<TransportConfig> {
  const { maxMessageSize, connectionTimeoutMs, retryAttempts, enableCompression, compressionThreshold, queueCapacity, queueCapacityBytes } = config;
  return { maxMessageSize, connectionTimeoutMs, retryAttempts, enableCompression, compressionThreshold, queueCapacity, queueCapacityBytes };
}

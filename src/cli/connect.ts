import { TransportError } from "../transport/errors.js";
import type { WebSocketClientTransport } from "../transports/websocket/client.js";
import { WebSocketTransport } from "../transports/websocket/hub/websocket-transport.js";
import { CliError, ExitCode } from "./cli-error.js";

/** Connection flags shared by the commands that talk to a hub. */
export const hubFlags = {
  hub: { type: "string", default: "ws://127.0.0.1:8080" },
  id: { type: "string" },
  token: { type: "string" },
  "connect-timeout": { type: "string" },
} as const;

/** Connects to the hub as `agentId`; an unreachable or refusing hub is a CliError with exit code 3. */
export async function connectAgent(url: string, agentId: string, options: { token?: string | undefined; timeoutMs: number; retryAttempts?: number }): Promise<WebSocketClientTransport> {
  try {
    return await WebSocketTransport.client(
      { url, agentId, ...(options.token === undefined ? {} : { token: options.token }) },
      { connectionTimeoutMs: options.timeoutMs, retryAttempts: options.retryAttempts ?? 0 },
    );
  } catch (error) {
    const detail = error instanceof TransportError ? error.message : String(error);
    throw new CliError(`cannot connect to hub at ${url}: ${detail}`, ExitCode.UNAVAILABLE);
  }
}

/** A default agent id for a one-off CLI connection. */
export function cliAgentId(command: string): string {
  return `cli-${command}-${process.pid}`;
}

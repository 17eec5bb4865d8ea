import "reflect-metadata";
import { container as rootContainer } from "tsyringe";
import { registerSwarmTransport, TransportFactory } from "../di/container.js";
import { createNodeTransportRegistry } from "../node/transport-registry.js";
import { TransportError } from "../transport/errors.js";
import type { Transport } from "../transport/transport.js";
import { CliError, ExitCode } from "./cli-error.js";

/** Connection flags shared by the commands that talk to a hub. */
export const hubFlags = {
  hub: { type: "string", default: "ws://127.0.0.1:8080" },
  id: { type: "string" },
  token: { type: "string" },
  "connect-timeout": { type: "string" },
} as const;

/** The CLI's composition root: the container with every transport kind Node has, chosen by URL. */
const transports = registerSwarmTransport({ createRegistry: createNodeTransportRegistry }, rootContainer.createChildContainer()).resolve(TransportFactory);

/** Connects as `agentId` to the transport at `url` (a hub's ws:// URL, ...); an unreachable or refusing one is a CliError with exit code 3. */
export async function connectAgent(url: string, agentId: string, options: { token?: string | undefined; timeoutMs: number; retryAttempts?: number }): Promise<Transport> {
  try {
    return await transports.connect(url, agentId, {
      config: { connectionTimeoutMs: options.timeoutMs, retryAttempts: options.retryAttempts ?? 0 },
      ...(options.token === undefined ? {} : { token: options.token }),
    });
  } catch (error) {
    const detail = error instanceof TransportError ? error.message : String(error);
    throw new CliError(`cannot connect to hub at ${url}: ${detail}`, ExitCode.UNAVAILABLE);
  }
}

/** A default agent id for a one-off CLI connection. */
export function cliAgentId(command: string): string {
  return `cli-${command}-${process.pid}`;
}

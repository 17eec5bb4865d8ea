import "reflect-metadata";
import { container as rootContainer } from "tsyringe";
import { registerSwarmTransport, TransportFactory } from "../di/container.js";
import { TRANSPORT_REGISTRY } from "../di/tokens.js";
import { createNodeTransportRegistry } from "../node/transport-registry.js";
import { TransportError } from "../transport/errors.js";
import { socketErrorText } from "../transport/socket-error-text.js";
import type { Transport } from "../transport/transport.js";
import type { TransportRegistry } from "../transport/transport-registry.js";
import { CliError, ExitCode } from "./cli-error.js";

/** The hub commands talk to when neither --hub nor $SWARM_HUB says otherwise. */
export const DEFAULT_HUB = "ws://127.0.0.1:8080";

/** The environment variable that sets the default hub URL. */
export const HUB_ENV = "SWARM_HUB";

/** Connection flags shared by the commands that talk to a hub. */
export const hubFlags = {
  hub: { type: "string" },
  id: { type: "string" },
  token: { type: "string" },
  "connect-timeout": { type: "string" },
} as const;

/** Help lines for `hubFlags`' --hub. */
export const HUB_FLAG_HELP = `  --hub URL              the hub (default $${HUB_ENV}, else ${DEFAULT_HUB})`;

/** The CLI's composition root: the container with every transport kind Node has, chosen by URL. */
const container = registerSwarmTransport({ createRegistry: createNodeTransportRegistry }, rootContainer.createChildContainer());
const transports = container.resolve(TransportFactory);

/**
 * The hub URL a command uses: `--hub`, else `$SWARM_HUB`, else ws://127.0.0.1:8080. One that
 * does not parse, or names a scheme no transport serves, is a usage error (exit 2).
 */
export function hubUrl(flag: string | undefined, command: string): string {
  const env = process.env[HUB_ENV] || undefined;
  const value = flag ?? env ?? DEFAULT_HUB;
  const source = flag === undefined && env !== undefined ? `$${HUB_ENV}` : "--hub";
  const bad = (why: string) => new CliError(`${command}: ${source} ${JSON.stringify(value)} ${why}; give a hub URL such as ${DEFAULT_HUB}`, ExitCode.USAGE);
  // a comma-separated list (nats://a:4222,b:4222, ws://a:8080,b:8080) is servers or hubs to fail over between: the first names the scheme
  const first = value.split(",")[0]!;
  const port = /^[a-z]+:\/\/[^/:]*:(\d+)/i.exec(first)?.[1];
  if (port !== undefined && Number(port) > 65535) throw bad(`has port ${port}, past 65535`);
  let url: URL;
  try {
    url = new URL(first);
  } catch {
    throw bad("is not a URL");
  }
  const scheme = url.protocol.slice(0, -1);
  const registry: TransportRegistry = container.resolve(TRANSPORT_REGISTRY);
  if (!registry.has(scheme)) throw bad(`uses ${scheme}://, which no transport serves (${registry.schemes().map((s) => `${s}://`).join(", ")})`);
  if ((scheme === "ws" || scheme === "wss") && url.hostname === "") throw bad("names no host");
  return value;
}

/** What `connectAgent` needs besides the URL and id. */
export interface ConnectAgentOptions {
  /** The command, for messages ("call", "agent"). */
  command: string;
  token?: string | undefined;
  timeoutMs: number;
  /** Reconnection attempts after the link drops (default 0: none). */
  retryAttempts?: number;
}

/**
 * Connects as `agentId` to the hub at `url`. A failure is a one-line CliError in plain words
 * that says what to do: exit 3 when the hub is unreachable or turns the agent away.
 */
export async function connectAgent(url: string, agentId: string, options: ConnectAgentOptions): Promise<Transport> {
  try {
    return await transports.connect(url, agentId, {
      config: { connectionTimeoutMs: options.timeoutMs, retryAttempts: options.retryAttempts ?? 0 },
      ...(options.token === undefined ? {} : { token: options.token }),
    });
  } catch (error) {
    throw connectFailure(error, url, agentId, options);
  }
}

/** The CliError a failed connect stands for. */
function connectFailure(error: unknown, url: string, agentId: string, options: ConnectAgentOptions): CliError {
  const at = `the hub at ${url}`;
  const { command } = options;
  if (!TransportError.is(error)) return new CliError(`${command}: cannot connect to ${at}: ${error instanceof Error ? error.message : String(error)}`, ExitCode.UNAVAILABLE);
  switch (error.code) {
    case "Unauthenticated":
      return new CliError(`${command}: ${at} refused this agent's credentials (pass the token it was started with: --token TOKEN)`, ExitCode.UNAVAILABLE);
    case "AddressInUse":
      return new CliError(`${command}: the id ${JSON.stringify(agentId)} is already taken on ${at} (choose another with --id ID)`, ExitCode.UNAVAILABLE);
    case "VersionMismatch":
      return new CliError(`${command}: ${at} speaks another protocol version (${plainReason(error)}); use the same swarm-transport version on both sides`, ExitCode.UNAVAILABLE);
    case "Timeout":
      return new CliError(`${command}: no handshake with ${at} within ${options.timeoutMs} ms (is it a swarm-transport hub? a slow one needs --connect-timeout MS)`, ExitCode.UNAVAILABLE);
    case "InvalidAddress":
    case "NotAvailable":
      return new CliError(`${command}: ${plainReason(error)}`, ExitCode.USAGE);
    default:
      return new CliError(`${command}: cannot reach ${at}: ${plainReason(error)} (${startHint(url)})`, ExitCode.UNAVAILABLE);
  }
}

/** A TransportError's words without its code: the socket's plain reason when there is one. */
export function plainReason(error: TransportError): string {
  const cause = (error as { cause?: unknown }).cause;
  if (TransportError.is(cause)) return plainReason(cause);
  if (typeof (cause as { code?: unknown } | undefined)?.code === "string") return socketErrorText(cause);
  return error.message.startsWith(`${error.code}: `) ? error.message.slice(error.code.length + 2) : error.message;
}

/** What to do when nothing answers at `url`. */
function startHint(url: string): string {
  const parsed = new URL(url);
  const local = ["127.0.0.1", "localhost", "[::1]"].includes(parsed.hostname);
  if (!local || parsed.protocol !== "ws:") return "is a hub running there? or pass --hub URL";
  return `start one with: swarm-transport hub --bind ${parsed.hostname}:${parsed.port || "80"}; or pass --hub URL`;
}

/** A default agent id for a one-off CLI connection. */
export function cliAgentId(command: string): string {
  return `cli-${command}-${process.pid}`;
}

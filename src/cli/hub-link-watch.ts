import type { Transport } from "../transport/transport.js";
import { WebSocketClientTransport, type LinkChangeEvent } from "../transports/websocket/client.js";
import { CliError, ExitCode } from "./cli-error.js";
import type { CommandIo } from "./command.js";
import { plainReason } from "./connect.js";

/** Who is watching, for the lines `watchHubLink` prints. */
export interface HubLinkWatchOptions {
  /** The command and agent, e.g. `agent "agent_2"`. */
  who: string;
  url: string;
  /** Reconnection attempts the transport makes (said when the link drops). */
  retryAttempts: number;
  /** Print JSON lines on stdout instead of sentences. */
  json: boolean;
}

/** A running watch: `gaveUp` rejects (exit 3) once the transport stops trying. */
export interface HubLinkWatch {
  readonly gaveUp: Promise<never>;
  stop(): void;
}

/**
 * Says when a long-running command loses its hub, gets it back, or gives up on it: a line on
 * stdout each (JSON with `json`), and `gaveUp` rejects with a CliError (exit 3) so the command
 * ends non-zero instead of silently.
 */
export function watchHubLink(transport: Transport, io: CommandIo, options: HubLinkWatchOptions): HubLinkWatch {
  let reject!: (error: CliError) => void;
  const gaveUp = new Promise<never>((_, fail) => (reject = fail));
  gaveUp.catch(() => undefined); // observed by the command's race; never "unhandled" when it stops first
  if (!(transport instanceof WebSocketClientTransport)) return { gaveUp, stop: () => undefined };
  const { who, url, retryAttempts, json } = options;
  const report = (event: LinkChangeEvent) => {
    const reason = event.error === undefined ? event.reason : plainReason(event.error);
    if (json) io.out(JSON.stringify({ event: event.state, hub: url, ...(reason === "" ? {} : { reason }), attempts: event.attempts }));
    if (event.state === "lost") {
      if (!json) io.out(`${who}: lost the hub at ${url} (${reason}); reconnecting, up to ${retryAttempts} attempt(s)`);
    } else if (event.state === "regained") {
      if (!json) io.out(`${who}: reconnected to the hub at ${url} (attempt ${event.attempts})`);
    } else {
      reject(new CliError(`${who}: gave up on the hub at ${url} after ${event.attempts} attempt(s): ${reason} (restart the hub, then this command)`, ExitCode.UNAVAILABLE));
    }
  };
  const stop = transport.onLinkChange(report);
  return { gaveUp, stop };
}

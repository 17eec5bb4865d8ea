import type { Transport } from "../transport/transport.js";
import { WebSocketClientTransport, type LinkChangeEvent } from "../transports/websocket/client.js";
import { CliError, ExitCode } from "./cli-error.js";
import { plainReason } from "./connect.js";
import type { Logger } from "./log.js";

/** Who is watching, for the lines `watchHubLink` prints. */
export interface HubLinkWatchOptions {
  /** The command and agent, e.g. `agent "agent_2"`. */
  who: string;
  url: string;
  /** Reconnection attempts the transport makes (said when the link drops). */
  retryAttempts: number;
}

/** A running watch: `gaveUp` rejects (exit 3) once the transport stops trying. */
export interface HubLinkWatch {
  readonly gaveUp: Promise<never>;
  stop(): void;
}

/**
 * Says when a long-running command loses its hub, fails an attempt to reconnect, gets it back,
 * or gives up on it: a log record each, and `gaveUp` rejects with a CliError (exit 3) so the
 * command ends non-zero instead of silently.
 */
export function watchHubLink(transport: Transport, log: Logger, options: HubLinkWatchOptions): HubLinkWatch {
  let reject!: (error: CliError) => void;
  const gaveUp = new Promise<never>((_, fail) => (reject = fail));
  gaveUp.catch(() => undefined); // observed by the command's race; never "unhandled" when it stops first
  if (!(transport instanceof WebSocketClientTransport)) return { gaveUp, stop: () => undefined };
  const { who, url, retryAttempts } = options;
  const report = (event: LinkChangeEvent) => {
    const reason = event.error === undefined ? event.reason : plainReason(event.error);
    const fields = { hub: url, reason: reason === "" ? undefined : reason, attempts: event.attempts };
    switch (event.state) {
      case "lost":
        return log.log("warn", "lost", `${who}: lost the hub at ${url} (${reason}); reconnecting, up to ${retryAttempts} attempt(s)`, fields);
      case "retrying":
        return log.log("debug", "retrying", `${who}: reconnect attempt ${event.attempts} failed (${reason}); trying again`, fields);
      case "regained":
        return log.log("info", "regained", `${who}: reconnected to the hub at ${url} (attempt ${event.attempts})`, { ...fields, resumed: event.resumed });
      case "gave-up":
        // in text the command's error line (stderr) says it; JSON readers get a record too
        if (log.format === "json") log.log("error", "gave-up", `${who}: gave up on the hub at ${url} after ${event.attempts} attempt(s): ${reason}`, fields);
        reject(new CliError(`${who}: gave up on the hub at ${url} after ${event.attempts} attempt(s): ${reason} (restart the hub, then this command)`, ExitCode.UNAVAILABLE));
    }
  };
  const stop = transport.onLinkChange(report);
  return { gaveUp, stop };
}

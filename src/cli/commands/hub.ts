import { readFileSync } from "node:fs";
import { WebSocketTransport } from "../../transports/websocket/websocket-transport.js";
import { integer, parseCommand } from "../args.js";
import { CliError, ExitCode } from "../cli-error.js";
import type { Command } from "../command.js";

export const hubCommand: Command = {
  name: "hub",
  summary: "run a hub that agents connect to",
  usage: `swarm-transport hub [--bind HOST:PORT] [options]

Runs a WebSocket hub: agents connect, say Hello with their id, and the hub routes messages,
RPC calls, events and broadcasts between them. Stops cleanly on SIGTERM or SIGINT.

  --bind HOST:PORT          listen address (default 127.0.0.1:8080; port 0 picks one)
  --hub-id ID               the hub's own address (default "hub")
  --tls-cert FILE           serve wss:// with this PEM certificate ...
  --tls-key FILE            ... and this PEM key
  --auth-token TOKEN        refuse agents that do not present "Bearer TOKEN"
  --max-message-size BYTES  largest message accepted (default 10485760)
  --link URL                link to another hub (repeatable)`,
  async run(argv, io) {
    const { values } = parseCommand("hub", argv, {
      bind: { type: "string", default: "127.0.0.1:8080" },
      "hub-id": { type: "string" },
      "tls-cert": { type: "string" },
      "tls-key": { type: "string" },
      "auth-token": { type: "string" },
      "max-message-size": { type: "string" },
      link: { type: "string", multiple: true },
    });
    if (values.help) return io.out(hubCommand.usage);
    if ((values["tls-cert"] === undefined) !== (values["tls-key"] === undefined)) {
      throw new CliError("hub: --tls-cert and --tls-key go together", ExitCode.USAGE);
    }
    const tls = values["tls-cert"] === undefined ? undefined : { cert: readPem(values["tls-cert"]), key: readPem(values["tls-key"]!) };
    const token = values["auth-token"];
    const hub = await WebSocketTransport.server(
      {
        bindAddr: values.bind,
        ...(values["hub-id"] === undefined ? {} : { hubId: values["hub-id"] }),
        ...(tls === undefined ? {} : { tls }),
        ...(token === undefined ? {} : { authenticate: (request) => request.token === token }),
      },
      { maxMessageSize: integer(values["max-message-size"], "max-message-size", 10 * 1024 * 1024) },
    ).catch((error: unknown) => {
      throw new CliError(`hub: cannot listen on ${values.bind}: ${(error as Error).message}`, ExitCode.UNAVAILABLE);
    });
    for (const url of values.link ?? []) {
      await hub.link(url).catch((error: unknown) => {
        void hub.close();
        throw new CliError(`hub: cannot link to ${url}: ${(error as Error).message}`, ExitCode.UNAVAILABLE);
      });
    }
    io.out(`hub "${hub.localAddress}" listening on ${hub.url}`);
    await io.untilSignal();
    io.out("hub: shutting down");
    await hub.close();
  },
};

function readPem(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new CliError(`cannot read ${path}: ${(error as Error).message}`, ExitCode.USAGE);
  }
}

import { readFileSync } from "node:fs";
import { createHubHttp } from "../../gateway/hub-http.js";
import { SchemaError } from "../../schema/index.js";
import { WebSocketTransport } from "../../transports/websocket/hub/websocket-transport.js";
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
  --hub-id ID               the hub's own address (default "hub"; with --nats a random
                            hub_…: hubs on one backplane need ids of their own)
  --tls-cert FILE           serve wss:// with this PEM certificate ...
  --tls-key FILE            ... and this PEM key
  --auth-token TOKEN        refuse agents that do not present "Bearer TOKEN"
  --max-message-size BYTES  largest message accepted (default 10485760)
  --link URL                link to another hub (repeatable; the small option: a tree of
                            hubs, links not re-dialled; not with --nats)
  --nats URL[,URL...]       join a NATS cluster as backplane: agents of every hub on it (and
                            agents on nats:// directly) reach each other; hubs come and go
                            without restarting the others
  --nats-prefix PREFIX      subjects prefix of the swarm on NATS (default "swarm")
  --nats-token TOKEN        the NATS servers' auth token
  --http-bind HOST:PORT     serve the HTTP endpoints below on a port of their own
                            (default: the hub's port, beside the WebSocket upgrade)
  --no-health               do not serve /healthz (liveness and readiness)
  --no-metrics              do not serve /metrics (Prometheus text format)
  --gateway                 serve Connect-protocol unary calls: POST /pkg.Service/Method
                            with header swarm-to: AGENT (binary bodies; JSON needs --gateway-proto)
  --gateway-proto FILE      .proto file whose services the gateway maps to JSON (repeatable)
  --import-path DIR         where imports of those .proto files are found (repeatable)`,
  async run(argv, io) {
    const { values } = parseCommand("hub", argv, {
      bind: { type: "string", default: "127.0.0.1:8080" },
      "hub-id": { type: "string" },
      "tls-cert": { type: "string" },
      "tls-key": { type: "string" },
      "auth-token": { type: "string" },
      "max-message-size": { type: "string" },
      link: { type: "string", multiple: true },
      nats: { type: "string" },
      "nats-prefix": { type: "string" },
      "nats-token": { type: "string" },
      "http-bind": { type: "string" },
      "no-health": { type: "boolean" },
      "no-metrics": { type: "boolean" },
      gateway: { type: "boolean" },
      "gateway-proto": { type: "string", multiple: true },
      "import-path": { type: "string", multiple: true },
    });
    if (values.help) return io.out(hubCommand.usage);
    if ((values["tls-cert"] === undefined) !== (values["tls-key"] === undefined)) {
      throw new CliError("hub: --tls-cert and --tls-key go together", ExitCode.USAGE);
    }
    if (values.nats !== undefined && (values.link ?? []).length > 0) {
      throw new CliError("hub: --link and --nats do not go together (hubs on a NATS backplane need no links)", ExitCode.USAGE);
    }
    const nats =
      values.nats === undefined
        ? undefined
        : {
            servers: values.nats,
            ...(values["nats-prefix"] === undefined ? {} : { subjectPrefix: values["nats-prefix"] }),
            ...(values["nats-token"] === undefined ? {} : { token: values["nats-token"] }),
          };
    const tls = values["tls-cert"] === undefined ? undefined : { cert: readPem(values["tls-cert"]), key: readPem(values["tls-key"]!) };
    const token = values["auth-token"];
    const protoFiles = values["gateway-proto"] ?? [];
    const gateway = protoFiles.length > 0 ? { protoFiles, importPaths: values["import-path"] ?? [] } : values.gateway === true;
    const http = createHubHttp({
      health: values["no-health"] !== true,
      metrics: values["no-metrics"] !== true,
      ...(gateway === false ? {} : { gateway }),
      ...(values["http-bind"] === undefined ? {} : { bindAddr: values["http-bind"] }),
    });
    const hub = await WebSocketTransport.server(
      {
        bindAddr: values.bind,
        http,
        ...(values["hub-id"] === undefined ? {} : { hubId: values["hub-id"] }),
        ...(tls === undefined ? {} : { tls }),
        ...(nats === undefined ? {} : { nats }),
        ...(token === undefined ? {} : { authenticate: (request) => request.token === token }),
      },
      { maxMessageSize: integer(values["max-message-size"], "max-message-size", 10 * 1024 * 1024) },
    ).catch((error: unknown) => {
      if (error instanceof SchemaError) throw new CliError(`hub: --gateway-proto: ${error.message}`, ExitCode.USAGE);
      throw new CliError(`hub: cannot listen on ${values.bind}: ${(error as Error).message}`, ExitCode.UNAVAILABLE);
    });
    for (const url of values.link ?? []) {
      await hub.link(url).catch((error: unknown) => {
        void hub.close();
        throw new CliError(`hub: cannot link to ${url}: ${(error as Error).message}`, ExitCode.UNAVAILABLE);
      });
    }
    io.out(`hub "${hub.localAddress}" listening on ${hub.url}${nats === undefined ? "" : ` on the NATS backplane ${nats.servers}`}`);
    const scheme = hub.url.startsWith("wss:") ? "https" : "http";
    const httpBase = `${scheme}://${values["http-bind"] === undefined ? hub.url.replace(/^wss?:\/\//, "") : `${values["http-bind"].replace(/:\d+$/, "")}:${http.port}`}`;
    const served = [values["no-health"] ? "" : "/healthz", values["no-metrics"] ? "" : "/metrics", gateway === false ? "" : "/<package.Service>/<Method>"].filter(Boolean);
    if (served.length > 0) io.out(`http on ${httpBase}: ${served.join(" ")}`);
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

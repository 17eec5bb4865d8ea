import { readFileSync } from "node:fs";
import { createHubHttp } from "../../gateway/hub-http.js";
import { serveHubStats } from "../../stats/stats-service.js";
import { SchemaError } from "../../schema/index.js";
import { signedTokenAuth, staticTokenAuth, type HubAuthenticate, type HubLinkAccess } from "../../transports/websocket/hub/auth.js";
import { TokenError, verifyToken, type TokenKey } from "../../transports/websocket/hub/signed-token.js";
import { WebSocketTransport } from "../../transports/websocket/hub/websocket-transport.js";
import { TransportError } from "../../transport/errors.js";
import { bindAddress, integer, parseCommand } from "../args.js";
import { CliError, ExitCode } from "../cli-error.js";
import type { Command } from "../command.js";
import { hubUrl, plainReason } from "../connect.js";
import { logEdgeCall, logHubEvents } from "../hub-log.js";
import { logFlagHelp, logFlags, loggerFromFlags } from "../log.js";

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
  --tls-ca FILE             CA whose client certificates hub links may present (--link-mtls)
  --auth-secret-file FILE   agents present signed tokens (HS256, this secret; see "token"):
                            each may use only the ids its token names
  --auth-public-key FILE    agents present signed tokens (EdDSA, this Ed25519 public key)
  --auth-token TOKEN        development: one shared token, any free id
  --max-message-size BYTES  largest message accepted (default 10485760)
  --link URL                link to another hub (repeatable), presenting --link-token (the
                            small option: a tree of hubs, links not re-dialled; not with --nats)
  --link-token TOKEN        hubs may link to this one presenting TOKEN (and it presents it)
  --link-mtls               hubs may link presenting a client certificate signed by --tls-ca
  --link-ids PATTERN        ids a linked hub may announce ("east.*"; repeatable; default any)
  --nats URL[,URL...]       join a NATS cluster as backplane: agents of every hub on it (and
                            agents on nats:// directly) reach each other; hubs come and go
                            without restarting the others (no --link, --link-token or
                            --link-mtls with it)
  --nats-prefix PREFIX      subjects prefix of the swarm on NATS (default "swarm")
  --nats-token TOKEN        the NATS servers' auth token
  --http-bind HOST:PORT     serve the HTTP endpoints below on a port of their own, HTTP/1.1
                            and HTTP/2 (TLS too with --tls-cert) (default: the hub's port)
  --no-health               do not serve /healthz (liveness and readiness)
  --no-metrics              do not serve /metrics (Prometheus text format)
  --gateway                 serve gRPC, gRPC-Web and Connect calls of the agents' services at
                            /pkg.Service/Method (HTTP/1.1, h2c, h2 over TLS), routed to an agent
                            that announced the service (or the one named by header swarm-to),
                            with grpc.health.v1 and server reflection (grpcurl list/describe)
  --gateway-proto FILE      .proto file the gateway knows (JSON mapping, reflection); implies
                            --gateway (repeatable)
  --import-path DIR         where imports of those .proto files are found (repeatable)
  --cors-origin ORIGIN      let browser pages from ORIGIN call the gateway ("*": any) (repeatable)
  --stats-watcher ID        let agent ID watch the hub's stats (swarm-transport top --id ID); "P*"
                            allows ids starting with P (repeatable; default: nobody)
${logFlagHelp(28)}

Logs (events): listening, stopping, stopped, agent-joined, agent-parked, agent-left at info;
connection-dropped (a Hello refused, a bad frame, a slow consumer, a heartbeat timeout) at
warn; each HTTP gateway call at debug (http-call: method, code, ms, bytes).`,
  async run(argv, io) {
    const { values } = parseCommand("hub", argv, {
      bind: { type: "string", default: "127.0.0.1:8080" },
      "hub-id": { type: "string" },
      "tls-cert": { type: "string" },
      "tls-key": { type: "string" },
      "tls-ca": { type: "string" },
      "auth-token": { type: "string" },
      "auth-secret-file": { type: "string" },
      "auth-public-key": { type: "string" },
      "max-message-size": { type: "string" },
      link: { type: "string", multiple: true },
      "link-token": { type: "string" },
      "link-mtls": { type: "boolean" },
      "link-ids": { type: "string", multiple: true },
      nats: { type: "string" },
      "nats-prefix": { type: "string" },
      "nats-token": { type: "string" },
      "http-bind": { type: "string" },
      "no-health": { type: "boolean" },
      "no-metrics": { type: "boolean" },
      gateway: { type: "boolean" },
      "gateway-proto": { type: "string", multiple: true },
      "import-path": { type: "string", multiple: true },
      "cors-origin": { type: "string", multiple: true },
      "stats-watcher": { type: "string", multiple: true },
      ...logFlags,
    });
    if (values.help) return io.out(hubCommand.usage);
    const log = loggerFromFlags(values, "hub", io.out);
    const bind = bindAddress(values.bind, "bind", "hub");
    const httpBind = values["http-bind"] === undefined ? undefined : bindAddress(values["http-bind"], "http-bind", "hub");
    const maxMessageSize = integer(values["max-message-size"], "max-message-size", 10 * 1024 * 1024, "hub");
    const links = (values.link ?? []).map((link) => hubUrl(link, "hub"));
    if ((values["tls-cert"] === undefined) !== (values["tls-key"] === undefined)) {
      throw new CliError("hub: --tls-cert and --tls-key go together (give both PEM files, or neither for ws://)", ExitCode.USAGE);
    }
    if (values.nats !== undefined && (links.length > 0 || values["link-token"] !== undefined || values["link-mtls"] === true)) {
      throw new CliError("hub: --link, --link-token and --link-mtls do not go with --nats (hubs on a NATS backplane need no links)", ExitCode.USAGE);
    }
    const nats =
      values.nats === undefined
        ? undefined
        : {
            servers: values.nats,
            ...(values["nats-prefix"] === undefined ? {} : { subjectPrefix: values["nats-prefix"] }),
            ...(values["nats-token"] === undefined ? {} : { token: values["nats-token"] }),
          };
    const tls =
      values["tls-cert"] === undefined
        ? undefined
        : {
            cert: readPem(values["tls-cert"], "tls-cert"),
            key: readPem(values["tls-key"]!, "tls-key"),
            ...(values["tls-ca"] === undefined ? {} : { ca: readPem(values["tls-ca"], "tls-ca") }),
          };
    if (values["link-mtls"] === true && tls?.ca === undefined) throw new CliError("hub: --link-mtls needs --tls-cert, --tls-key and --tls-ca", ExitCode.USAGE);
    const authenticate = agentAuth(values["auth-secret-file"], values["auth-public-key"], values["auth-token"]);
    const linkToken = values["link-token"];
    const linkAccess: HubLinkAccess | undefined =
      linkToken === undefined && values["link-mtls"] !== true
        ? undefined
        : {
            ...(linkToken === undefined ? {} : { token: linkToken }),
            ...(values["link-mtls"] === true ? { mutualTls: true } : {}),
            ...(values["link-ids"] === undefined ? {} : { ids: values["link-ids"] }),
          };
    const protoFiles = values["gateway-proto"] ?? [];
    const origins = values["cors-origin"];
    const corsOrigins = origins === undefined ? undefined : origins.includes("*") ? ("*" as const) : origins;
    const gateway =
      protoFiles.length > 0 || values.gateway === true
        ? { protoFiles, importPaths: values["import-path"] ?? [], ...(corsOrigins === undefined ? {} : { corsOrigins }) }
        : false;
    const http = createHubHttp({
      onCall: logEdgeCall(log),
      health: values["no-health"] !== true,
      metrics: values["no-metrics"] !== true,
      ...(gateway === false ? {} : { gateway }),
      ...(httpBind === undefined ? {} : { bindAddr: httpBind, ...(tls === undefined ? {} : { tls }) }),
    });
    const hub = await WebSocketTransport.server(
      {
        bindAddr: bind,
        http,
        ...(values["hub-id"] === undefined ? {} : { hubId: values["hub-id"] }),
        ...(tls === undefined ? {} : { tls }),
        ...(nats === undefined ? {} : { nats }),
        ...(authenticate === undefined ? {} : { authenticate }),
        ...(linkAccess === undefined ? {} : { links: linkAccess }),
      },
      { maxMessageSize },
    ).catch((error: unknown) => {
      if (error instanceof SchemaError) throw new CliError(`hub: --gateway-proto: ${error.message}`, ExitCode.USAGE);
      throw listenFailure(error, bind, httpBind);
    });
    const linkTls = tls === undefined ? undefined : { cert: tls.cert, key: tls.key, ...(tls.ca === undefined ? {} : { ca: tls.ca }) };
    for (const url of links) {
      await hub.link(url, { ...(linkToken === undefined ? {} : { token: linkToken }), ...(linkTls === undefined ? {} : { tls: linkTls }) }).catch(async (error: unknown) => {
        await hub.close();
        throw new CliError(`hub: cannot link to ${url}: ${TransportError.is(error) ? plainReason(error) : String(error)} (is a hub running there?)`, ExitCode.UNAVAILABLE);
      });
    }
    const stats = serveHubStats(hub, { watchers: values["stats-watcher"] ?? [], server: http.rpcServer, gateway: http.gateway });
    const unlog = logHubEvents(hub, log);
    const scheme = hub.url.startsWith("wss:") ? "https" : "http";
    const httpBase = `${scheme}://${httpBind === undefined ? hub.url.replace(/^wss?:\/\//, "") : `${httpBind.replace(/:\d+$/, "")}:${http.port}`}`;
    const served = [values["no-health"] ? "" : "/healthz", values["no-metrics"] ? "" : "/metrics", gateway === false ? "" : "/<package.Service>/<Method>"].filter(Boolean);
    const httpLine = served.length > 0 ? `\nhttp on ${httpBase}: ${served.join(" ")}${gateway === false ? "" : " (gRPC, gRPC-Web, Connect; HTTP/1.1 and HTTP/2)"}` : "";
    const onNats = nats === undefined ? "" : ` on the NATS backplane ${nats.servers}`;
    log.log("info", "listening", `hub "${hub.localAddress}" listening on ${hub.url}${onNats}${httpLine}`, {
      hub: hub.localAddress,
      url: hub.url,
      ...(nats === undefined ? {} : { nats: nats.servers }),
      ...(served.length > 0 ? { http: httpBase, paths: served } : {}),
    });
    await io.untilSignal();
    log.log("info", "stopping", "hub: shutting down");
    unlog();
    await stats.close();
    await hub.close();
    log.log("info", "stopped", "hub: stopped");
  },
};

/** The agents' authentication from the flags: signed tokens (a secret or a public key), a static token, or none. */
function agentAuth(secretFile: string | undefined, publicKeyFile: string | undefined, staticToken: string | undefined): HubAuthenticate | undefined {
  const chosen = [secretFile, publicKeyFile, staticToken].filter((value) => value !== undefined).length;
  if (chosen > 1) throw new CliError("hub: choose one of --auth-secret-file, --auth-public-key and --auth-token", ExitCode.USAGE);
  let key: TokenKey | undefined;
  if (secretFile !== undefined) key = { hmacSecret: readPem(secretFile, "auth-secret-file").trim() };
  if (publicKeyFile !== undefined) key = { publicKey: readPem(publicKeyFile, "auth-public-key") };
  if (key === undefined) return staticToken === undefined ? undefined : staticTokenAuth(staticToken);
  try {
    verifyToken("-.-.-", key); // a bad key throws here, anything else says the token is bad
  } catch (error) {
    if (!(error instanceof TokenError)) throw new CliError(`hub: bad token key: ${(error as Error).message}`, ExitCode.USAGE);
  }
  return signedTokenAuth(key);
}

/** Why the hub (or its HTTP side, on `httpBind`) cannot listen, in plain words with what to do. */
function listenFailure(error: unknown, bind: string, httpBind: string | undefined): CliError {
  const address = TransportError.is(error) && error.address !== undefined ? error.address : bind;
  const flag = address === httpBind ? "--http-bind" : "--bind";
  const reason = TransportError.is(error) ? plainReason(error) : String(error);
  const hint = TransportError.is(error, "AddressInUse")
    ? `stop what is using it, or choose another port with ${flag} HOST:PORT (port 0 picks a free one)`
    : `choose another address with ${flag} HOST:PORT`;
  return new CliError(`hub: cannot listen on ${address}: ${reason} (${hint})`, ExitCode.UNAVAILABLE);
}

function readPem(path: string, flag: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message;
    throw new CliError(`hub: cannot read --${flag} ${path}: ${reason} (give a PEM file)`, ExitCode.USAGE);
  }
}

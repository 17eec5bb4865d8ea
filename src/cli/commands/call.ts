import { createDemux } from "../../demux/demux.js";
import { createClient } from "../../rpc/client.js";
import { RpcError } from "../../status/rpc-error.js";
import { integer, json, parseCommand, required } from "../args.js";
import { CliError, ExitCode } from "../cli-error.js";
import type { Command } from "../command.js";
import { cliAgentId, connectAgent, HUB_FLAG_HELP, hubFlags, hubUrl } from "../connect.js";
import { readBodyArgument } from "../request-body.js";
import { createJsonCodec, findMethod, SchemaError, type JsonCodec } from "../../schema/index.js";
import { loadProtoFiles } from "../../schema/load-proto-files.js";
import { byteDefinition } from "../byte-definition.js";
import { schemaByReflection } from "../reflection-schema.js";

export const callCommand: Command = {
  name: "call",
  summary: "call a method of an agent, with JSON in and out (like grpcurl)",
  usage: `swarm-transport call --to AGENT [--proto FILE] [options] METHOD [JSON | @FILE | -]

Calls METHOD ("package.Service/Method") on agent AGENT through the hub. The request JSON
(proto3 JSON mapping, default {}) is given as an argument, read from a file (@FILE) or from
stdin (-); it is encoded with the schema from the .proto files given (or, without --proto, the
schema the hub's server reflection has: a hub started with --gateway knows what its agents
announce and what it loaded), and the response is printed as proto3 JSON (fields holding their zero value left out); a server-streaming method
prints one JSON line per message. Exit codes: 0 ok, 1 the call failed ("STATUS: message" is
printed), 2 bad arguments, request JSON that does not fit the schema, or unknown method,
3 hub unreachable.

  --to AGENT             the agent serving the method (required)
  --proto FILE           .proto file with the service (repeatable; default: ask the hub)
  --import-path DIR      where imports of the .proto files are found (repeatable)
  --timeout MS           deadline of the call (default 10000)
  --emit-defaults        print fields that hold their zero value too
${HUB_FLAG_HELP}
  --id ID                this caller's agent id (default cli-call-<pid>)
  --token TOKEN          bearer token: a signed token ("swarm-transport token"), or --auth-token's

Example:
  swarm-transport call --to agent_2 --proto proto/swarm/examples/v1/compute.proto \\
    swarm.examples.v1.ComputeService/Fibonacci '{"n": 42}'
  echo '{"n": 42}' | swarm-transport call --to agent_2 --proto compute.proto \\
    swarm.examples.v1.ComputeService/Fibonacci -`,
  async run(argv, io) {
    const { values, positionals } = parseCommand("call", argv, {
      ...hubFlags,
      to: { type: "string" },
      proto: { type: "string", multiple: true },
      "import-path": { type: "string", multiple: true },
      timeout: { type: "string" },
      "emit-defaults": { type: "boolean" },
    });
    if (values.help) return io.out(callCommand.usage);
    const to = required(values.to, "to", "call");
    const [methodName, body, ...extra] = positionals;
    if (methodName === undefined) throw new CliError("call: METHOD is required, e.g. swarm.examples.v1.ComputeService/Fibonacci (see: swarm-transport call --help)", ExitCode.USAGE);
    if (extra.length > 0) throw new CliError(`call: unexpected argument ${JSON.stringify(extra[0])} (quote the request JSON as one argument)`, ExitCode.USAGE);
    const timeoutMs = integer(values.timeout, "timeout", 10_000, "call");
    const connectTimeoutMs = integer(values["connect-timeout"], "connect-timeout", 5000, "call");
    const url = hubUrl(values.hub, "call");
    const protoFiles = values.proto ?? [];
    const connect = () => connectAgent(url, values.id ?? cliAgentId("call"), { command: "call", token: values.token, timeoutMs: connectTimeoutMs });
    // without .proto files the schema comes from the hub, so connect first
    let transport = protoFiles.length === 0 ? await connect() : undefined;
    const demux = transport === undefined ? undefined : createDemux(transport);
    let method;
    let request: Uint8Array;
    let response: JsonCodec;
    try {
      const root =
        protoFiles.length > 0
          ? await loadProtoFiles(protoFiles, values["import-path"] ?? [])
          : await schemaByReflection(demux!, (transport as { hubId?: string }).hubId ?? "hub", serviceOf(methodName), timeoutMs);
      method = findMethod(root, methodName);
      if (method.requestStream) throw new SchemaError(`${method.path} takes a request stream; call supports unary and server-streaming methods`);
      request = createJsonCodec(method.requestType).fromJson(json(await readBodyArgument(body, "the request", "call", io.readStdin), "the request", "call") ?? {});
      response = createJsonCodec(method.responseType, { emitDefaultValues: values["emit-defaults"] === true });
    } catch (error) {
      await transport?.close();
      if (error instanceof SchemaError) throw new CliError(`call: ${error.message}`, ExitCode.USAGE);
      if (error instanceof RpcError) throw new CliError(`call: cannot read the schema from the hub: ${error.message}`, ExitCode.FAILED);
      throw error;
    }
    transport ??= await connect();
    const client = createClient(byteDefinition(method), demux ?? createDemux(transport), { peer: to, timeoutMs }) as unknown as {
      call(request: Uint8Array): Promise<Uint8Array> | AsyncIterable<Uint8Array>;
    };
    try {
      const outcome = client.call(request);
      if (method.responseStream) {
        for await (const message of outcome as AsyncIterable<Uint8Array>) io.out(JSON.stringify(response.toJson(message)));
      } else {
        io.out(JSON.stringify(response.toJson(await (outcome as Promise<Uint8Array>)), null, 2));
      }
    } catch (error) {
      if (error instanceof RpcError) throw new CliError(error.message, ExitCode.FAILED);
      if (error instanceof SchemaError) throw new CliError(`call: the response cannot be written as JSON: ${error.message}`, ExitCode.FAILED);
      throw error;
    } finally {
      await transport.close();
    }
  },
};

/** "package.Service" of "package.Service/Method", "/package.Service/Method" or "package.Service.Method". */
function serviceOf(name: string): string {
  const trimmed = name.replace(/^\//, "");
  const slash = trimmed.lastIndexOf("/");
  return slash >= 0 ? trimmed.slice(0, slash) : trimmed.slice(0, Math.max(0, trimmed.lastIndexOf(".")));
}

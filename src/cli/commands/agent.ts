import { ComputeServiceDefinition } from "../../../generated/swarm/examples/v1/compute.js";
import { serveComputeAgent } from "../example-service.js";
import { integer, parseCommand, required } from "../args.js";
import type { Command } from "../command.js";
import { connectAgent, HUB_FLAG_HELP, hubFlags, hubUrl } from "../connect.js";
import { watchHubLink } from "../hub-link-watch.js";
import { logCalls } from "../call-log.js";
import { logFlagHelp, logFlags, loggerFromFlags } from "../log.js";
import { join } from "node:path";
import { PACKAGE_PROTO_DIR } from "../../node/package-proto.js";
import { fileDescriptorSet } from "../../schema/descriptors.js";
import { loadProtoFiles } from "../../schema/load-proto-files.js";

export const agentCommand: Command = {
  name: "agent",
  summary: "connect an agent that serves the example ComputeService",
  usage: `swarm-transport agent --id ID [--hub URL] [options]

Connects to a hub as agent ID and serves swarm.examples.v1.ComputeService (Fibonacci,
CountTo, Sum, Chat, Echo; proto/swarm/examples/v1/compute.proto), the untyped method
"compute_fibonacci" ({"n": 42} -> {"value": ...}), answers topic requests on
"compute.fibonacci", publishes progress.<ID> events ({"tasks": N}), and prints broadcasts on
announce.> (acknowledging each with an event on announced.<ID>). If the link to the
hub drops it says so and reconnects; when every attempt fails it exits 3. Stops on SIGTERM
or SIGINT (exit 0).

${HUB_FLAG_HELP}
  --id ID                this agent's address (required)
  --token TOKEN          bearer token: a signed token ("swarm-transport token"), or --auth-token's
  --connect-timeout MS   connection timeout (default 5000)
  --retry-attempts N     reconnection attempts after the link drops (default 10)
  --progress-every N     publish progress.<ID> every N tasks (default 100; 0 never)
  --progress-interval MS and every MS milliseconds, busy or idle (default 1000; 0 never)
${logFlagHelp(25)}

Logs (events): connected, announcement, lost, regained and gave-up at info (lost: warn);
each call served at debug (call-served: method, peer, code, ms, trace id), a call that
failed on this side at warn; reconnect attempts that failed (retrying) at debug.`,
  async run(argv, io) {
    const { values } = parseCommand("agent", argv, {
      ...hubFlags,
      "retry-attempts": { type: "string" },
      "progress-every": { type: "string" },
      "progress-interval": { type: "string" },
      ...logFlags,
    });
    if (values.help) return io.out(agentCommand.usage);
    const log = loggerFromFlags(values, "agent", io.out);
    const id = required(values.id, "id", "agent");
    const url = hubUrl(values.hub, "agent");
    const timeoutMs = integer(values["connect-timeout"], "connect-timeout", 5000, "agent");
    const retryAttempts = integer(values["retry-attempts"], "retry-attempts", 10, "agent");
    const progressEvery = integer(values["progress-every"], "progress-every", 100, "agent");
    const progressIntervalMs = integer(values["progress-interval"], "progress-interval", 1000, "agent");
    const transport = await connectAgent(url, id, { command: "agent", token: values.token, timeoutMs, retryAttempts });
    const who = `agent ${JSON.stringify(id)}`;
    // the service's descriptors go with its announcement, so the hub can answer reflection for it
    const schema = await loadProtoFiles([join(PACKAGE_PROTO_DIR, "swarm/examples/v1/compute.proto")]);
    const agent = serveComputeAgent(transport, id, {
      fileDescriptorSet: fileDescriptorSet(schema),
      progressEvery,
      progressIntervalMs,
      interceptors: [logCalls(log)],
      onAnnouncement: (event) => {
        const data = JSON.stringify(event.message.json() ?? null);
        log.log("info", "announcement", `${who}: announcement ${event.subject} from ${event.from}: ${data}`, { subject: event.subject, from: event.from, data });
      },
    });
    const watch = watchHubLink(transport, log, { who, url, retryAttempts });
    log.log("info", "connected", `${who} connected to ${url}, serving ${ComputeServiceDefinition.fullName}`, { agent: id, hub: url, service: ComputeServiceDefinition.fullName });
    try {
      await Promise.race([io.untilSignal(), watch.gaveUp]);
    } finally {
      watch.stop();
      await agent.close();
      await transport.close();
    }
  },
};

import { HubStatsServiceDefinition } from "../../../generated/swarm/hub/v1/stats.js";
import { createDemux } from "../../demux/demux.js";
import { createClient } from "../../rpc/client.js";
import { RpcError } from "../../status/rpc-error.js";
import { Status } from "../../status/status.js";
import { WebSocketClientTransport } from "../../transports/websocket/client.js";
import { integer, parseCommand } from "../args.js";
import { CliError, ExitCode } from "../cli-error.js";
import type { Command } from "../command.js";
import { cliAgentId, connectAgent, HUB_FLAG_HELP, hubFlags, hubUrl } from "../connect.js";
import { topLines } from "../top-table.js";

export const topCommand: Command = {
  name: "top",
  summary: "watch a hub's agents live: traffic, queues, credit, round trips, calls",
  usage: `swarm-transport top [--hub URL] [options]

Shows the agents of a hub in a table redrawn every second: state, messages and bytes per
second in and out, what the hub has queued for each (bytes, and messages not yet
acknowledged), its credit (messages routed to it that it has not taken / its receive
window), the round trip of the hub's ping, reconnections, and RPC calls in flight (routed to
it / made by it). The hub must let this agent id watch (hub --stats-watcher ID). Stops on
SIGINT or SIGTERM, or after --count snapshots.

${HUB_FLAG_HELP}
  --id ID                this watcher's agent id (default cli-top-<pid>)
  --token TOKEN          bearer token for a hub started with --auth-token
  --connect-timeout MS   connection timeout (default 5000)
  --interval MS          time between snapshots (default 1000; at least 100)
  --count N              stop after N snapshots
  --rows N               agents shown, the busiest first (default: all the hub sends, 500 at most)
  --json                 print each snapshot as one JSON line instead of the table`,
  async run(argv, io) {
    const { values } = parseCommand("top", argv, { ...hubFlags, interval: { type: "string" }, count: { type: "string" }, rows: { type: "string" }, json: { type: "boolean" } });
    if (values.help) return io.out(topCommand.usage);
    const url = hubUrl(values.hub, "top");
    const timeoutMs = integer(values["connect-timeout"], "connect-timeout", 5000, "top");
    const intervalMs = integer(values.interval, "interval", 1000, "top");
    const count = values.count === undefined ? Infinity : integer(values.count, "count", 0, "top");
    const rows = values.rows === undefined ? Infinity : integer(values.rows, "rows", 0, "top");
    const id = values.id ?? cliAgentId("top");
    const transport = await connectAgent(url, id, { command: "top", token: values.token, timeoutMs });
    const hubId = transport instanceof WebSocketClientTransport ? transport.hubId : "hub";
    const demux = createDemux(transport);
    const stats = createClient(HubStatsServiceDefinition, demux, { peer: hubId, timeoutMs: 0 });
    const stop = new AbortController();
    void io.untilSignal().then(() => stop.abort());
    let seen = 0;
    try {
      if (count > 0) {
        for await (const snapshot of stats.watch({ intervalMs, maxAgents: rows === Infinity ? 0 : rows }, { signal: stop.signal })) {
          if (values.json) io.out(JSON.stringify(snapshot));
          else {
            const lines = topLines(snapshot, rows);
            // a terminal shows the latest table in place; a pipe or a log gets each one after the last
            if (io.terminal === true) io.out(`\x1b[H\x1b[2J${lines.join("\n")}`);
            else io.out(`${lines.join("\n")}\n`);
          }
          if (++seen >= count) break;
        }
      }
    } catch (error) {
      if (!stop.signal.aborted) throw watchFailure(error, url, id);
    } finally {
      await demux.close();
      await transport.close();
    }
  },
};

/** What to tell when the hub will not stream its stats. */
function watchFailure(error: unknown, url: string, id: string): CliError {
  if (!(error instanceof RpcError)) return new CliError(`top: ${error instanceof Error ? error.message : String(error)}`, ExitCode.FAILED);
  switch (error.code) {
    case Status.PERMISSION_DENIED:
      return new CliError(`top: the hub at ${url} does not let ${JSON.stringify(id)} watch its stats (start it with --stats-watcher ${id}, or pass an allowed --id)`, ExitCode.FAILED);
    case Status.UNIMPLEMENTED:
      return new CliError(`top: the hub at ${url} serves no stats stream (a hub of this version started with swarm-transport hub does)`, ExitCode.FAILED);
    case Status.UNAVAILABLE:
      return new CliError(`top: lost the hub at ${url}: ${error.rawMessage}`, ExitCode.UNAVAILABLE);
    default:
      return new CliError(`top: ${error.message}`, ExitCode.FAILED);
  }
}

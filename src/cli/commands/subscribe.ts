import { createDemux } from "../../demux/demux.js";
import { createPubSub } from "../../pubsub/pubsub.js";
import { validatePattern } from "../../pubsub/subject.js";
import type { TransportError } from "../../transport/errors.js";
import { integer, parseCommand } from "../args.js";
import { CliError, ExitCode } from "../cli-error.js";
import type { Command } from "../command.js";
import { cliAgentId, connectAgent, HUB_FLAG_HELP, hubFlags, hubUrl, plainReason } from "../connect.js";
import { watchHubLink } from "../hub-link-watch.js";
import { createLogger } from "../log.js";

export const subscribeCommand: Command = {
  name: "subscribe",
  summary: "print events matching a pattern as they arrive",
  usage: `swarm-transport subscribe [options] PATTERN

Prints every event and broadcast whose subject matches PATTERN ("*" one token, ">" the
rest) as one JSON line {"subject", "from", "data"} on stdout, until --count events arrived
or SIGINT. Says on stderr when it loses or regains the hub; exits 3 when it gives up.

  --count N              stop after N events
  --queue GROUP          join a queue group (each event goes to one member)
${HUB_FLAG_HELP}
  --id ID                this subscriber's agent id (default cli-subscribe-<pid>)
  --token TOKEN          bearer token: a signed token ("swarm-transport token"), or --auth-token's
  --connect-timeout MS   connection timeout (default 5000)
  --retry-attempts N     reconnection attempts after the link drops (default 10)`,
  async run(argv, io) {
    const { values, positionals } = parseCommand("subscribe", argv, { ...hubFlags, count: { type: "string" }, queue: { type: "string" }, "retry-attempts": { type: "string" } });
    if (values.help) return io.out(subscribeCommand.usage);
    const [pattern, ...extra] = positionals;
    if (pattern === undefined) throw new CliError("subscribe: PATTERN is required, e.g. 'progress.>' (see: swarm-transport subscribe --help)", ExitCode.USAGE);
    if (extra.length > 0) throw new CliError(`subscribe: unexpected argument ${JSON.stringify(extra[0])} (one PATTERN; quote it for the shell)`, ExitCode.USAGE);
    try {
      validatePattern(pattern);
    } catch (error) {
      throw new CliError(`subscribe: ${plainReason(error as TransportError)} (a pattern is dot-separated tokens, e.g. training.*.loss or 'progress.>')`, ExitCode.USAGE);
    }
    const count = values.count === undefined ? Infinity : integer(values.count, "count", 0, "subscribe");
    const retryAttempts = integer(values["retry-attempts"], "retry-attempts", 10, "subscribe");
    const timeoutMs = integer(values["connect-timeout"], "connect-timeout", 5000, "subscribe");
    const url = hubUrl(values.hub, "subscribe");
    const id = values.id ?? cliAgentId("subscribe");
    const transport = await connectAgent(url, id, { command: "subscribe", token: values.token, timeoutMs, retryAttempts });
    // Status goes to stderr: stdout carries only the events, one JSON line each.
    const status = createLogger({ format: "text", level: "info", write: io.err });
    const watch = watchHubLink(transport, status, { who: `subscribe ${JSON.stringify(id)}`, url, retryAttempts });
    const bus = createPubSub(createDemux(transport));
    let seen = 0;
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    if (count === 0) done();
    bus.subscribe(
      pattern,
      (event) => {
        if (seen >= count) return;
        const data = event.message.json() ?? (event.message.bytes() === undefined ? null : `<${event.message.bytes()!.length} bytes>`);
        io.out(JSON.stringify({ subject: event.subject, from: event.from, data }));
        if (++seen >= count) done();
      },
      values.queue === undefined ? {} : { queue: values.queue },
    );
    io.err(`subscribed to ${pattern} on ${url}`);
    try {
      await Promise.race([finished, io.untilSignal(), watch.gaveUp]);
    } finally {
      watch.stop();
      await bus.close();
      await transport.close();
    }
  },
};

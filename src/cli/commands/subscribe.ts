import { createDemux } from "../../demux/demux.js";
import { createPubSub } from "../../pubsub/pubsub.js";
import { validatePattern } from "../../pubsub/subject.js";
import type { TransportError } from "../../transport/errors.js";
import { integer, parseCommand } from "../args.js";
import { CliError, ExitCode } from "../cli-error.js";
import type { Command } from "../command.js";
import { cliAgentId, connectAgent, hubFlags } from "../connect.js";

export const subscribeCommand: Command = {
  name: "subscribe",
  summary: "print events matching a pattern as they arrive",
  usage: `swarm-transport subscribe [options] PATTERN

Prints every event and broadcast whose subject matches PATTERN ("*" one token, ">" the
rest) as one JSON line {"subject", "from", "data"}, until --count events arrived or SIGINT.

  --count N              stop after N events
  --queue GROUP          join a queue group (each event goes to one member)
  --hub URL              the hub (default ws://127.0.0.1:8080)
  --id ID                this subscriber's agent id (default cli-subscribe-<pid>)
  --token TOKEN          bearer token: a signed token ("swarm-transport token"), or --auth-token's`,
  async run(argv, io) {
    const { values, positionals } = parseCommand("subscribe", argv, { ...hubFlags, count: { type: "string" }, queue: { type: "string" } });
    if (values.help) return io.out(subscribeCommand.usage);
    const [pattern] = positionals;
    if (pattern === undefined) throw new CliError("subscribe: PATTERN is required", ExitCode.USAGE);
    try {
      validatePattern(pattern);
    } catch (error) {
      throw new CliError(`subscribe: ${(error as TransportError).message}`, ExitCode.USAGE);
    }
    const count = values.count === undefined ? Infinity : integer(values.count, "count", 0);
    const transport = await connectAgent(values.hub, values.id ?? cliAgentId("subscribe"), {
      token: values.token,
      timeoutMs: integer(values["connect-timeout"], "connect-timeout", 5000),
      retryAttempts: 10,
    });
    const bus = createPubSub(createDemux(transport));
    let seen = 0;
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    bus.subscribe(
      pattern,
      (event) => {
        const data = event.message.json() ?? (event.message.bytes() === undefined ? null : `<${event.message.bytes()!.length} bytes>`);
        io.out(JSON.stringify({ subject: event.subject, from: event.from, data }));
        if (++seen >= count) done();
      },
      values.queue === undefined ? {} : { queue: values.queue },
    );
    io.err(`subscribed to ${pattern} on ${values.hub}`);
    await Promise.race([finished, io.untilSignal()]);
    await bus.close();
    await transport.close();
  },
};

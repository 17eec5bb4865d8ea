import { createDemux } from "../../demux/demux.js";
import { Message } from "../../protocol/message.js";
import type { JsonValue } from "../../protocol/data.js";
import { createPubSub } from "../../pubsub/pubsub.js";
import { validateSubject } from "../../pubsub/subject.js";
import { TransportError } from "../../transport/errors.js";
import { integer, json, parseCommand } from "../args.js";
import { CliError, ExitCode } from "../cli-error.js";
import type { Command } from "../command.js";
import { cliAgentId, connectAgent, hubFlags } from "../connect.js";

export const publishCommand: Command = {
  name: "publish",
  summary: "publish an event (or a broadcast) on a subject",
  usage: `swarm-transport publish [options] SUBJECT [JSON]

Publishes an event on SUBJECT (e.g. training.epoch42.loss) with a JSON body, to every agent
subscribed to a matching pattern, and prints how many received it. With --broadcast it goes
to every agent instead.

  --broadcast            send a broadcast to every agent
  --settle MS            time to learn the others' subscriptions first (default 300)
  --hub URL              the hub (default ws://127.0.0.1:8080)
  --id ID                this publisher's agent id (default cli-publish-<pid>)
  --token TOKEN          bearer token: a signed token ("swarm-transport token"), or --auth-token's`,
  async run(argv, io) {
    const { values, positionals } = parseCommand("publish", argv, { ...hubFlags, broadcast: { type: "boolean" }, settle: { type: "string" } });
    if (values.help) return io.out(publishCommand.usage);
    const [subject, body] = positionals;
    if (subject === undefined) throw new CliError("publish: SUBJECT is required", ExitCode.USAGE);
    try {
      validateSubject(subject);
    } catch (error) {
      throw new CliError(`publish: ${(error as TransportError).message}`, ExitCode.USAGE);
    }
    const data = json(body, "the event body") as JsonValue | undefined;
    const id = values.id ?? cliAgentId("publish");
    const transport = await connectAgent(values.hub, id, { token: values.token, timeoutMs: integer(values["connect-timeout"], "connect-timeout", 5000) });
    const bus = createPubSub(createDemux(transport));
    try {
      if (values.broadcast) {
        await bus.broadcast(Message.broadcast(id, subject, data));
        io.out(`broadcast ${subject}`);
      } else {
        // Subscriptions are announced by their agents; give the answers to our InterestSync time to arrive.
        await new Promise((resolve) => setTimeout(resolve, integer(values.settle, "settle", 300)));
        const deliveries = await bus.publish(Message.event(id, subject, data));
        io.out(`published ${subject} to ${deliveries} subscriber(s)`);
      }
    } finally {
      await bus.close();
      await transport.close();
    }
  },
};

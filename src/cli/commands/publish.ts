import { createDemux } from "../../demux/demux.js";
import { Message } from "../../protocol/message.js";
import type { JsonValue } from "../../protocol/data.js";
import { createPubSub } from "../../pubsub/pubsub.js";
import { validateSubject } from "../../pubsub/subject.js";
import type { TransportError } from "../../transport/errors.js";
import { integer, json, parseCommand } from "../args.js";
import { CliError, ExitCode } from "../cli-error.js";
import type { Command } from "../command.js";
import { cliAgentId, connectAgent, HUB_FLAG_HELP, hubFlags, hubUrl, plainReason } from "../connect.js";
import { readBodyArgument } from "../request-body.js";

export const publishCommand: Command = {
  name: "publish",
  summary: "publish an event (or a broadcast) on a subject",
  usage: `swarm-transport publish [options] SUBJECT [JSON | @FILE | -]

Publishes an event on SUBJECT (e.g. training.epoch42.loss) with a JSON body (an argument,
@FILE or - for stdin), to every agent subscribed to a matching pattern, and prints how many
received it. With --broadcast it goes to every agent instead.

  --broadcast            send a broadcast to every agent
  --settle MS            time to learn the others' subscriptions first (default 300)
  --json                 print {"subject", "deliveries"} (or {"subject", "broadcast": true})
${HUB_FLAG_HELP}
  --id ID                this publisher's agent id (default cli-publish-<pid>)
  --token TOKEN          bearer token: a signed token ("swarm-transport token"), or --auth-token's`,
  async run(argv, io) {
    const { values, positionals } = parseCommand("publish", argv, { ...hubFlags, broadcast: { type: "boolean" }, settle: { type: "string" }, json: { type: "boolean" } });
    if (values.help) return io.out(publishCommand.usage);
    const [subject, body, ...extra] = positionals;
    if (subject === undefined) throw new CliError("publish: SUBJECT is required (see: swarm-transport publish --help)", ExitCode.USAGE);
    if (extra.length > 0) throw new CliError(`publish: unexpected argument ${JSON.stringify(extra[0])} (quote the JSON body as one argument)`, ExitCode.USAGE);
    try {
      validateSubject(subject);
    } catch (error) {
      throw new CliError(`publish: ${plainReason(error as TransportError)} (a subject is dot-separated tokens, e.g. training.epoch42.loss)`, ExitCode.USAGE);
    }
    const settleMs = integer(values.settle, "settle", 300, "publish");
    const timeoutMs = integer(values["connect-timeout"], "connect-timeout", 5000, "publish");
    const url = hubUrl(values.hub, "publish");
    const data = json(await readBodyArgument(body, "the event body", "publish", io.readStdin), "the event body", "publish") as JsonValue | undefined;
    const id = values.id ?? cliAgentId("publish");
    const transport = await connectAgent(url, id, { command: "publish", token: values.token, timeoutMs });
    const bus = createPubSub(createDemux(transport));
    try {
      if (values.broadcast) {
        await bus.broadcast(Message.broadcast(id, subject, data));
        io.out(values.json ? JSON.stringify({ subject, broadcast: true }) : `broadcast ${subject}`);
      } else {
        // Subscriptions are announced by their agents; give the answers to our InterestSync time to arrive.
        await new Promise((resolve) => setTimeout(resolve, settleMs));
        const deliveries = await bus.publish(Message.event(id, subject, data));
        io.out(values.json ? JSON.stringify({ subject, deliveries }) : `published ${subject} to ${deliveries} subscriber(s)`);
      }
    } finally {
      await bus.close();
      await transport.close();
    }
  },
};

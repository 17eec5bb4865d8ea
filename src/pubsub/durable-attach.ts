import type { DurableConsumer, DurableEvents } from "../transport/native-pubsub.js";
import type { Subscription } from "./subscription.js";

/**
 * Feeds a durable consumer's events into `subscription`, one at a time: the next is taken from
 * the broker only once the subscription has room (it never drops), and each is acknowledged
 * when the subscription has handled it, or given back (nak) when it was discarded unhandled.
 * `delivered` counts each hand-over.
 * @internal
 */
export function attachDurable(durable: DurableEvents, name: string, subscription: Subscription, delivered: () => void): Promise<DurableConsumer> {
  return durable.consume(name, subscription.pattern, async (event) => {
    const space = subscription.space();
    if (space !== undefined) await space;
    subscription.deliver({
      event: { subject: event.subject, message: event.message, from: event.message.source },
      reply: undefined,
      settled: (handled) => (handled ? event.ack() : event.nak()),
    });
    delivered();
  });
}

import type { Message } from "../protocol/message.js";
import type { NativeEvent, NativePubSub, NativeSubscription } from "../transport/native-pubsub.js";
import type { InterestTable } from "./interest-table.js";
import type { PendingEvent, Subscription } from "./subscription.js";

/**
 * How a PubSub uses a transport's native pub/sub (NATS): subscriptions that do not meter
 * their publishers subscribe on the broker, and one broker publish reaches all of them, one
 * member per queue group, wherever they are. Subscriptions with overflow "block" keep the
 * end-to-end EventCredit path (metered copies, one per subscriber), because a broker fan-out
 * cannot wait for one slow subscriber without holding back the others.
 *
 *   publish ─▶ local plain subscriptions (at once, in this process)
 *           ─▶ broker: remote plain subscriptions + every queue group (ours too: the broker picks)
 *           ─▶ metered copies to "block" subscribers (EventCredit)
 *
 * The broker echoes a publish to this endpoint's own subscriptions; a plain one already had it,
 * so the echo is ignored there, while a queue group member takes it when the broker chose it.
 * @internal
 */
export class NativeRoute {
  readonly port: NativePubSub;
  readonly #self: string;
  readonly #handles = new Map<number, NativeSubscription>();

  constructor(port: NativePubSub, self: string) {
    this.port = port;
    this.#self = self;
  }

  /** Whether `subscription` is served by the broker (everything but overflow "block"). */
  static serves(subscription: Subscription): boolean {
    return subscription.window === 0;
  }

  /** Subscribes `subscription` on the broker; `deliver` gets its events (own plain echoes left out). */
  add(subscription: Subscription, deliver: (subscription: Subscription, event: NativeEvent) => void): void {
    const handle = this.port.subscribe(subscription.pattern, subscription.queue, (event) => {
      if (subscription.queue === "" && event.message.source === this.#self) return;
      deliver(subscription, event);
    });
    this.#handles.set(subscription.id, handle);
  }

  remove(subscription: Subscription): void {
    this.#handles.get(subscription.id)?.unsubscribe();
    this.#handles.delete(subscription.id);
  }

  /**
   * Broker deliveries a publish on `subject` makes: remote plain subscriptions (each counts)
   * plus queue groups, remote or local, that do not meter. 0: nobody wants it natively.
   */
  deliveries(subject: string, remote: InterestTable, local: Iterable<Subscription>): number {
    const { plain, groups } = remote.nativeTargets(subject);
    for (const subscription of local) {
      if (subscription.queue !== "" && NativeRoute.serves(subscription) && subscription.matcher.matches(subject)) groups.add(subscription.queue);
    }
    return plain + groups.size;
  }
}

/** A broker-delivered event as a subscription's pending event; `reply` answers a topic request through the broker. */
export function pendingOf(event: NativeEvent, toReply: (outcome: Parameters<NonNullable<PendingEvent["reply"]>>[0], request: Message) => Message): PendingEvent {
  const received = { subject: event.subject, message: event.message, from: event.message.source };
  const respond = event.respond;
  if (respond === undefined) return { event: received, reply: undefined };
  let replied = false;
  return {
    event: received,
    reply: (outcome) => {
      if (replied) return;
      replied = true;
      respond(toReply(outcome, event.message));
    },
  };
}

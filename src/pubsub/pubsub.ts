import type { Control, EventCredit, Subscribe } from "../../generated/swarm/transport/v1/control.js";
import type { Demux, ReplyHandler } from "../demux/demux.js";
import { dataBytes, dataJson, toData, type Body } from "../protocol/data.js";
import { Message } from "../protocol/message.js";
import { RpcError } from "../status/rpc-error.js";
import { Status } from "../status/status.js";
import { activeTracing, parentSpan, withTraceHeaders, type Traced, type Tracing } from "../trace/tracing.js";
import { TransportError } from "../transport/errors.js";
import { SENT } from "../transport/sent.js";
import type { PeerGoneEvent, ReceivedMessage, Transport } from "../transport/transport.js";
import { nativePubSubOf, type DurableConsumer, type DurableEvents, type NativeEvent } from "../transport/native-pubsub.js";
import { CreditLedger } from "./credit-ledger.js";
import { attachDurable } from "./durable-attach.js";
import { NativeRoute, pendingOf } from "./native-route.js";
import { groupLane, InterestTable, subscriptionLane, type MeteredLane } from "./interest-table.js";
import { validateSubject } from "./subject.js";
import { Subscription, type EventHandler, type PendingEvent, type ReceivedEvent, type SubscribeOptions, type SubscriptionHost } from "./subscription.js";

/** Header naming the queue group an event was sent to one member of. */
export const QUEUE_HEADER = "swarm-queue";
/** Header carrying the correlation id a reply to a topic request must use. */
export const REPLY_HEADER = "swarm-reply";
/** Header naming the metered lanes an event was sent on (comma-separated `s:<id>` / `g:<group>`). */
export const CREDIT_HEADER = "swarm-credit";
/** Header of Subscribe announcements from an agent whose broker delivers its events natively ("1"). */
export const NATIVE_HEADER = "swarm-native";

/** Counters of one PubSub. */
export interface PubSubStats {
  /** Events published here. */
  published: number;
  /**
   * Event messages sent to other agents: one per interested agent or queue group member, or,
   * over a network that multicasts, one for all of those it serves.
   */
  forwarded: number;
  /** Events handed to local subscriptions (including from this agent). */
  delivered: number;
  /** Events arriving that no local subscription matched. */
  unmatched: number;
  /** Events discarded by overflow policies, or not sent because their subscriber left. */
  dropped: number;
  /** Subscription handlers that threw. */
  handlerErrors: number;
}

/** A subscription handler's failure, as `onError` listeners see it. */
export interface HandlerFailure {
  readonly error: unknown;
  readonly subscription: Subscription;
  readonly event: ReceivedEvent;
}

/** Options of one `publish`. */
export interface PublishOptions {
  /** Abandons a publish that waits for a "block" subscriber's credit (it rejects with the reason). */
  signal?: AbortSignal;
  /**
   * The call a handler serves while it publishes (its `CallContext`): with a tracer installed,
   * the publish continues that call's trace. Default: the active call of the installed context
   * manager, if any; `null`: none.
   */
  parent?: Traced | null;
  /**
   * Also store the event for durable subscriptions (`subscribeDurable`), which receive it even
   * if they are away now. Needs a transport whose broker stores events (NATS with JetStream);
   * elsewhere the publish rejects with `NotAvailable`. The publish resolves once it is stored.
   */
  durable?: boolean;
}

/** Options of `subscribeDurable`. */
export interface DurableSubscribeOptions {
  /** Events fetched ahead and held for the handler. Default 1,000. */
  maxPending?: number;
}

export interface RequestOptions {
  /** How long to wait for replies, in ms. Default 5,000. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Publish/subscribe over any transport, with NATS-style subjects.
 *
 * Interest-based delivery: every subscription is announced to the other agents (a Subscribe
 * broadcast; an agent that joins asks with InterestSync), so a publisher sends an event only to
 * agents with a matching subscription — and, per queue group, to one member — and events
 * nobody wants never cross the wire. Broadcasts go to everyone and reach every matching
 * subscription. Topic requests collect subscribers' replies. A subscription with overflow
 * "block" meters its publishers end to end (EventCredit), so it holds back only what is
 * published to it.
 *
 * On a transport with native pub/sub (NATS, see NativePubSub and NativeRoute) the broker does
 * the fan-out: a publish is one message whatever the number of subscribers, queue groups are
 * the broker's, and topic requests use its request/reply and "no responders". Subscriptions
 * are still announced, so `hasRemoteInterest` and the delivery counts hold, events nobody wants
 * are not published, and "block" subscriptions keep their end-to-end credit.
 */
export class PubSub implements SubscriptionHost {
  readonly demux: Demux;
  readonly transport: Transport;
  readonly #local = new Map<number, Subscription>();
  /** Local subscriptions in a queue group: without any, a publish looks for no local group. */
  #localQueueSubscriptions = 0;
  readonly #remote = new InterestTable();
  readonly #credit = new CreditLedger();
  /** Credit taken by local subscriptions, not yet returned: publisher → lane key → count. */
  readonly #grants = new Map<string, Map<string, number>>();
  readonly #localGroups = new Map<string, number>();
  readonly #errorListeners = new Set<(failure: HandlerFailure) => void>();
  readonly #stats: PubSubStats = { published: 0, forwarded: 0, delivered: 0, unmatched: 0, dropped: 0, handlerErrors: 0 };
  readonly #release: () => void;
  readonly #unwatch: () => void;
  /** The transport's broker pub/sub, when it has one. */
  readonly #native: NativeRoute | undefined;
  /** Durable subscriptions and their broker consumers (undefined while attaching). */
  readonly #durables = new Map<number, { subscription: Subscription; consumer: DurableConsumer | undefined }>();
  /** Durable consumers detaching (close waits for them). */
  readonly #stopping = new Set<Promise<void>>();
  #nextId = 1;
  #closed = false;

  /** Takes the demux's "events" lane (one PubSub per demux). */
  constructor(demux: Demux) {
    this.demux = demux;
    this.transport = demux.transport;
    const port = nativePubSubOf(this.transport);
    this.#native = port === undefined ? undefined : new NativeRoute(port, this.transport.localAddress);
    this.#release = demux.handle("events", this.#onMessage);
    this.#unwatch = this.transport.onPeerGone(this.#peerGone);
    this.#broadcastControl({ $case: "interestSync", value: {} });
  }

  /**
   * Subscribes to `pattern` (`*` one token, `>` the rest). With a handler, events are handed to
   * it one at a time; without, iterate the subscription (`subscribe(pattern, options)`).
   * Throws `InvalidAddress` for an invalid pattern.
   */
  subscribe(pattern: string, options?: SubscribeOptions): Subscription;
  subscribe(pattern: string, handler?: EventHandler, options?: SubscribeOptions): Subscription;
  subscribe(pattern: string, handlerOrOptions?: EventHandler | SubscribeOptions, maybeOptions: SubscribeOptions = {}): Subscription {
    if (this.#closed) throw TransportError.closed("pub/sub");
    const handler = typeof handlerOrOptions === "function" ? handlerOrOptions : undefined;
    const options = typeof handlerOrOptions === "object" && handlerOrOptions !== null ? handlerOrOptions : maybeOptions;
    const subscription = new Subscription(this, this.#nextId++, pattern, handler, options);
    this.#local.set(subscription.id, subscription);
    if (this.#native !== undefined && NativeRoute.serves(subscription)) this.#native.add(subscription, this.#onNative);
    if (subscription.queue !== "") this.#localQueueSubscriptions++;
    this.#broadcastControl({ $case: "subscribe", value: announce(subscription) });
    return subscription;
  }

  /**
   * Publishes an event (`Message.event`) to every interested agent and local subscription.
   * Resolves, with the number of deliveries (agents sent to plus local subscriptions), once
   * every transport took its copy; a "block" subscriber that is behind makes it wait for credit.
   */
  publish(message: Message, options: PublishOptions = {}): Promise<number> {
    let subject: string;
    try {
      subject = subjectOf(message, "event");
    } catch (error) {
      return Promise.reject(error);
    }
    const tracing = activeTracing;
    if (tracing === undefined) return this.#publish(message, subject, options);
    return this.#traced(tracing, message, subject, options.parent, (traced) => this.#publish(traced, subject, options));
  }

  async #publish(message: Message, subject: string, options: PublishOptions): Promise<number> {
    if (options.durable === true) await this.#durableEvents().publish(subject, message);
    this.#stats.published++;
    await this.#localSpace(subject, options.signal);
    const sends: Promise<void>[] = [];
    const count = this.#route(message, subject, undefined, sends, options.signal);
    if (sends.length === 1) await sends[0];
    else if (sends.length > 1) await Promise.all(sends);
    return count;
  }

  /**
   * A durable subscription `name` to `pattern`: the broker keeps its position while it is away
   * (unsubscribed, or its process gone), and when a subscription of that name comes back it
   * receives the durable publishes (`publish(m, { durable: true })`) it missed, in order, each
   * once: an event is acknowledged after the handler returns (or a `for await` loop took it),
   * and one not acknowledged is delivered again. It receives durable publishes only, never
   * drops (the broker holds what the subscription cannot take yet), and is not announced to
   * other agents. Resolves once attached; rejects with `NotAvailable` on a transport without
   * durable events (NATS JetStream), or the broker's refusal.
   */
  async subscribeDurable(pattern: string, name: string, handler?: EventHandler, options: DurableSubscribeOptions = {}): Promise<Subscription> {
    if (this.#closed) throw TransportError.closed("pub/sub");
    const durable = this.#durableEvents();
    const subscription = new Subscription(this, this.#nextId++, pattern, handler, { maxPending: options.maxPending ?? 1000, overflow: "block" });
    const entry: { subscription: Subscription; consumer: DurableConsumer | undefined } = { subscription, consumer: undefined };
    this.#durables.set(subscription.id, entry);
    try {
      entry.consumer = await attachDurable(durable, name, subscription, () => void this.#stats.delivered++);
    } catch (error) {
      this.#durables.delete(subscription.id);
      subscription.close(TransportError.from(error, "ConnectionError"));
      throw error;
    }
    if (!this.#durables.has(subscription.id)) await entry.consumer.stop(); // unsubscribed while attaching
    return subscription;
  }

  /** Sends a broadcast (`Message.broadcast`) to every agent; subscriptions matching its topic receive it. */
  broadcast(message: Message, options: Pick<PublishOptions, "parent"> = {}): Promise<void> {
    let subject: string;
    try {
      subject = subjectOf(message, "broadcast");
    } catch (error) {
      return Promise.reject(error);
    }
    const tracing = activeTracing;
    if (tracing === undefined) return this.#broadcast(message, subject);
    return this.#traced(tracing, message, subject, options.parent, (traced) => this.#broadcast(traced, subject));
  }

  /**
   * Runs a publish of `message` as a producer span: what is sent carries the span's trace
   * headers, and the span ends with the publish.
   */
  async #traced<T>(tracing: Tracing, message: Message, subject: string, parent: Traced | null | undefined, publish: (message: Message) => Promise<T>): Promise<T> {
    const span = tracing.start({ kind: "producer", system: "swarm", service: "", method: subject, peer: "", transport: this.transport }, parentSpan(parent), undefined);
    const traced = span.traceparent === undefined ? message : new Message({ ...message.envelope, headers: withTraceHeaders(message.envelope.headers, span)! });
    try {
      const result = await publish(traced);
      span.end(0);
      return result;
    } catch (error) {
      const failure = RpcError.from(error);
      span.end(failure.code, failure.rawMessage);
      throw error;
    }
  }

  async #broadcast(message: Message, subject: string): Promise<void> {
    this.#stats.published++;
    this.#deliverLocal(message, subject, this.transport.localAddress, undefined, undefined, undefined, true);
    await this.transport.broadcast(message);
  }

  /**
   * Publishes a request on `subject` and resolves with the first reply (one member per queue
   * group and every plain subscriber receive it). Rejects at once with UNAVAILABLE ("no
   * responders") when nobody is subscribed, and with DEADLINE_EXCEEDED after `timeoutMs`.
   */
  async request(subject: string, body?: Body, options: RequestOptions = {}): Promise<Message> {
    const replies = await this.#request(subject, body, options, 1);
    return replies[0]!;
  }

  /**
   * Scatter/gather: publishes a request on `subject` and collects every reply until all
   * receivers answered or `timeoutMs` passed. Rejects at once with UNAVAILABLE when nobody is
   * subscribed.
   */
  requestMany(subject: string, body?: Body, options: RequestOptions = {}): Promise<Message[]> {
    return this.#request(subject, body, options, Infinity);
  }

  /** Whether some other agent has announced a subscription matching `subject`. */
  hasRemoteInterest(subject: string): boolean {
    return this.#remote.hasInterest(subject);
  }

  /** Listens to subscription handler failures; returns an unsubscribe function. */
  onError(listener: (failure: HandlerFailure) => void): () => void {
    this.#errorListeners.add(listener);
    return () => this.#errorListeners.delete(listener);
  }

  stats(): PubSubStats {
    let dropped = 0;
    for (const subscription of this.#local.values()) dropped += subscription.dropped;
    return { ...this.#stats, dropped: this.#stats.dropped + dropped };
  }

  /** Ends every subscription (peers are told), gives the demux's "events" lane back and stops watching peers. */
  async close(): Promise<void> {
    if (this.#closed) return;
    for (const subscription of [...this.#local.values()]) await subscription.unsubscribe();
    for (const { subscription } of [...this.#durables.values()]) await subscription.unsubscribe();
    await Promise.all(this.#stopping);
    this.#closed = true;
    this.#release();
    this.#unwatch();
    this.#credit.forgetAgent();
  }

  /** @internal */
  handlerFailed(error: unknown, subscription: Subscription, event: ReceivedEvent): void {
    this.#stats.handlerErrors++;
    for (const listener of this.#errorListeners) {
      try {
        listener({ error, subscription, event });
      } catch {
        // a failing error listener must not stop delivery either
      }
    }
  }

  /** @internal */
  remove(subscription: Subscription): void {
    const durable = this.#durables.get(subscription.id);
    if (durable !== undefined) {
      this.#durables.delete(subscription.id);
      const stopped = durable.consumer?.stop();
      if (stopped !== undefined) {
        this.#stopping.add(stopped);
        void stopped.finally(() => this.#stopping.delete(stopped));
      }
      return;
    }
    if (!this.#local.delete(subscription.id)) return;
    this.#native?.remove(subscription);
    if (subscription.queue !== "") this.#localQueueSubscriptions--;
    this.#stats.dropped += subscription.dropped;
    if (!this.#closed) this.#broadcastControl({ $case: "unsubscribe", value: { subscriptionId: subscription.id } });
  }

  /** Waits while a local "block" subscription matching `subject` is full (a local publish cannot take credit). */
  async #localSpace(subject: string, signal: AbortSignal | undefined): Promise<void> {
    for (;;) {
      let space: Promise<void> | undefined;
      for (const subscription of this.#local.values()) {
        if (subscription.matcher.matches(subject)) space ??= subscription.space();
      }
      if (space === undefined) return;
      signal?.throwIfAborted();
      await (signal === undefined ? space : untilAborted(space, signal));
    }
  }

  async #request(subject: string, body: Body, options: RequestOptions, wanted: number): Promise<Message[]> {
    validateSubject(subject);
    const timeoutMs = options.timeoutMs ?? 5000;
    const id = this.demux.nextCallId();
    const message = Message.event(this.transport.localAddress, subject, body).withHeader(REPLY_HEADER, String(id));
    const span = activeTracing?.start({ kind: "producer", system: "swarm", service: "", method: subject, peer: "", transport: this.transport }, parentSpan(undefined), undefined);
    if (span !== undefined) message.envelope.headers = withTraceHeaders(message.envelope.headers, span)!;
    const replies: Message[] = [];
    return new Promise<Message[]>((resolve, reject) => {
      let expected = Infinity;
      let failures = 0;
      let firstError: RpcError | undefined;
      let timer: ReturnType<typeof setTimeout> | undefined;
      let done = false;
      // native pub/sub: the broker's replies, and how many deliveries its "no responders" fails
      let brokerExpected = 0;
      let stopBroker: (() => void) | undefined;
      const finish = (error?: RpcError) => {
        if (done) return;
        done = true;
        stopBroker?.();
        if (timer !== undefined) clearTimeout(timer);
        options.signal?.removeEventListener("abort", onAbort);
        this.demux.removeCall(id);
        span?.end(error?.code ?? 0, error?.rawMessage);
        if (error !== undefined) reject(error);
        else resolve(replies);
      };
      // Settles once enough replies came, or every receiver answered (with replies or errors).
      const check = () => {
        if (replies.length >= wanted) finish();
        else if (replies.length + failures >= expected) finish(replies.length > 0 ? undefined : firstError);
      };
      const accept = (reply: Message) => {
        replies.push(reply);
        check();
      };
      const refuse = (error: RpcError) => {
        failures++;
        firstError ??= error;
        check();
      };
      const onAbort = () => finish(new RpcError(Status.CANCELLED, `request on ${subject} cancelled`));
      const handle: ReplyHandler = {
        peer: undefined,
        onReply: ({ message: reply }: ReceivedMessage) => {
          const outcome = reply.payload("response")?.outcome;
          if (outcome === undefined) return;
          if (outcome.$case === "error") refuse(rpcErrorOf(outcome.value));
          else accept(reply);
        },
        onPeerGone: (_reason: string, address: string | undefined) => {
          if (address === undefined) finish(new RpcError(Status.UNAVAILABLE, `request on ${subject}: transport closed`));
        },
      };
      this.demux.addCall(id, handle);
      this.#stats.published++;
      const onBrokerReply = (reply: Message | undefined): void => {
        if (reply === undefined) {
          failures += brokerExpected;
          brokerExpected = 0;
          if (replies.length + failures >= expected) finish(replies.length > 0 ? undefined : firstError ?? new RpcError(Status.UNAVAILABLE, `no responders on ${JSON.stringify(subject)}`));
          return;
        }
        handle.onReply({ from: reply.source, message: reply });
      };
      const routed = this.#route(message, subject, (outcome) => {
        // a local subscriber's reply
        if ("error" in outcome) refuse(RpcError.from(outcome.error));
        else accept(Message.response(this.transport.localAddress, id, outcome.value as Body));
      }, undefined, undefined, (count) => {
        // the broker always carries a request: its "no responders" is the authority on interest
        brokerExpected = Math.max(count, 1);
        try {
          stopBroker = this.#native!.port.request(subject, message, onBrokerReply);
        } catch (error) {
          failures += brokerExpected;
          firstError ??= RpcError.from(error);
        }
        return brokerExpected;
      });
      expected = routed;
      if (expected === 0) return finish(new RpcError(Status.UNAVAILABLE, `no responders on ${JSON.stringify(subject)}`));
      if (done) return;
      check();
      if (options.signal?.aborted) return onAbort();
      options.signal?.addEventListener("abort", onAbort, { once: true });
      timer = setTimeout(() => {
        if (replies.length > 0) finish();
        else finish(new RpcError(Status.DEADLINE_EXCEEDED, `no reply on ${JSON.stringify(subject)} within ${timeoutMs} ms`));
      }, timeoutMs);
    });
  }

  /**
   * Sends to interested agents and delivers to local subscriptions; returns the number of
   * deliveries. With native pub/sub, subscriptions the broker serves are reached by one broker
   * publish (pushed on `sends`, or made by `broker` for a request, which returns the deliveries
   * it stands for), and only "block" subscribers get copies of their own.
   */
  #route(message: Message, subject: string, localReply: PendingEvent["reply"], sends?: Promise<void>[], signal?: AbortSignal, broker?: (count: number) => number): number {
    const self = this.transport.localAddress;
    const native = this.#native;
    const targets = this.#remote.targets(subject);
    const { agents, meteredAgents, unmeteredAgents, groups } = targets;
    // A network that multicasts (docs/wire-format.md [M3]) takes one copy for every unmetered
    // subscriber and every queue group without a metered member or a member here; the rest
    // (credit to take, a local member to weigh in the pick) is sent from here as before. A
    // transport is a hub's client (multicast) or on a broker (native), never both.
    const multicast = native === undefined && localReply === undefined && this.transport.multicast === true;
    let viaNetwork = 0;
    let deliveries = 0;
    // plain subscribers: one message per interested agent (the hub's one, when it multicasts;
    // natively: per "block" or unbrokered subscriber only)
    if (multicast) {
      viaNetwork += unmeteredAgents;
      deliveries += unmeteredAgents;
    }
    for (const [agent, lanes] of multicast ? meteredAgents : agents) {
      // natively, the broker reaches the rest; an agent without native pub/sub (behind a hub) gets a copy
      if (native !== undefined && lanes.length === 0 && !targets.unbrokered.has(agent)) continue;
      deliveries++;
      const sent = this.#send(agent, message, lanes, signal); // not inside `sends?.push(…)`: a request passes no `sends`
      sends?.push(sent);
    }
    // queue groups: one member among every agent's (and this agent's) members
    const localGroupMembers = this.#localGroupMembers(subject);
    // nothing for queue groups and no broker to publish to: only the hub's one copy and this agent's plain subscriptions remain
    if (native === undefined && groups.size === 0 && localGroupMembers.size === 0) {
      if (viaNetwork > 0) this.#multicast(message, sends);
      return deliveries + this.#deliverLocal(message, subject, self, undefined, localReply, undefined, true);
    }
    for (const [group, all] of groups) {
      // natively the broker picks among the group's native members; the others get a turn only when it has none (once, not twice)
      const brokered = native !== undefined && all.some((member) => member.native && member.lane === undefined);
      const members = native === undefined ? all : brokered ? [] : all.filter((member) => member.lane !== undefined || !member.native);
      if (members.length === 0) continue;
      const localCount = localGroupMembers.get(group) ?? 0;
      if (multicast && localCount === 0 && members.every((member) => member.lane === undefined)) {
        deliveries++;
        viaNetwork++;
        continue;
      }
      const pick = this.#remote.pick(group, members.length + (localCount > 0 ? 1 : 0));
      const member = members[pick];
      if (member !== undefined) {
        const sent = this.#send(member.agent, copyWithHeader(message, QUEUE_HEADER, group), member.lane === undefined ? NO_LANES : [member.lane], signal);
        sends?.push(sent);
        deliveries++;
      } else {
        deliveries += this.#deliverLocal(message, subject, self, group, localReply, undefined);
      }
      localGroupMembers.delete(group);
    }
    if (viaNetwork > 0) this.#multicast(message, sends);
    // local queue groups nobody else has
    for (const group of localGroupMembers.keys()) deliveries += this.#deliverLocal(message, subject, self, group, localReply, undefined);
    deliveries += this.#deliverLocal(message, subject, self, undefined, localReply, undefined, true);
    if (native !== undefined) {
      const count = native.deliveries(subject, this.#remote, this.#local.values());
      if (broker !== undefined) {
        // a request always reaches the broker unless this agent answers it alone: its "no responders" then decides
        const local = deliveries > 0 && count === 0;
        deliveries += local ? 0 : broker(count);
      } else if (count > 0) {
        this.#stats.forwarded++;
        sends?.push(native.port.publish(subject, message, signal === undefined ? undefined : { signal }).then(undefined, () => void this.#stats.dropped++));
        deliveries += count;
      }
    }
    return deliveries;
  }

  /** The one message a network that multicasts fans out (an Event without destination). */
  #multicast(message: Message, sends: Promise<void>[] | undefined): void {
    this.#stats.forwarded++;
    const sent = this.#sent(this.transport.broadcast(message));
    sends?.push(sent);
  }

  /**
   * Sends one copy, first taking credit on the subscriber's metered lanes. A failure (the agent
   * vanished, or its subscription went while waiting) is counted as dropped, never thrown;
   * only an abort of `signal` rejects.
   */
  #send(agent: string, message: Message, lanes: readonly MeteredLane[], signal: AbortSignal | undefined): Promise<void> {
    this.#stats.forwarded++;
    if (lanes.length === 0) return this.#sent(this.transport.send(agent, message));
    const metered = copyWithHeader(message, CREDIT_HEADER, lanes.map((lane) => lane.key).join(","));
    return this.#credit.acquire(agent, lanes, signal).then((taken) => {
      if (!taken) return this.#drop();
      return this.#sent(this.transport.send(agent, metered));
    });
  }

  /** `sent`, with a failure counted as a drop (a send that left at once needs no handler: see SENT). */
  #sent(sent: Promise<void>): Promise<void> {
    return sent === SENT ? sent : sent.then(undefined, this.#drop);
  }

  readonly #drop = (): void => {
    this.#stats.dropped++;
  };

  /** This agent's members of the queue groups matching `subject` that this PubSub routes itself (natively: "block" ones). */
  #localGroupMembers(subject: string): Map<string, number> {
    if (this.#localQueueSubscriptions === 0) return NO_GROUPS;
    const groups = new Map<string, number>();
    for (const subscription of this.#local.values()) {
      if (subscription.queue !== "" && this.#routesItself(subscription) && subscription.matcher.matches(subject)) groups.set(subscription.queue, (groups.get(subscription.queue) ?? 0) + 1);
    }
    return groups;
  }

  /**
   * Delivers to local subscriptions: every plain match when `group` is undefined, else one
   * member of `group` (round robin). `credit` is the metered event's sender and lanes: a
   * subscription on one of them returns its credit when it takes the event. Returns how many
   * subscriptions it reached. With native pub/sub, subscriptions the broker serves are left to
   * it unless `all` (a local publish to plain subscriptions, a broadcast, or a copy from an
   * agent without native pub/sub).
   */
  #deliverLocal(
    message: Message,
    subject: string,
    from: string,
    group: string | undefined,
    reply: PendingEvent["reply"],
    credit: Set<string> | undefined,
    all = false,
  ): number {
    const event: ReceivedEvent = { subject, message, from };
    if (group !== undefined) {
      const members = [...this.#local.values()].filter((s) => s.queue === group && (all || this.#routesItself(s)) && s.matcher.matches(subject));
      if (members.length === 0) return 0;
      const next = this.#localGroups.get(group) ?? 0;
      this.#localGroups.set(group, next + 1);
      const lane = credit === undefined ? undefined : groupLane(group);
      members[next % members.length]!.deliver({ event, reply, done: lane !== undefined && credit!.delete(lane) ? this.#returner(from, lane) : undefined });
      this.#stats.delivered++;
      return 1;
    }
    let count = 0;
    for (const subscription of this.#local.values()) {
      if (subscription.queue === "" && (all || this.#routesItself(subscription)) && subscription.matcher.matches(subject)) {
        // Lane keys are strings made on demand: only a metered event (one with credit) needs them.
        const lane = credit === undefined ? undefined : subscriptionLane(subscription.id);
        subscription.deliver({ event, reply, done: lane !== undefined && credit!.delete(lane) ? this.#returner(from, lane) : undefined });
        count++;
      }
    }
    this.#stats.delivered += count;
    return count;
  }

  #durableEvents(): DurableEvents {
    const durable = this.#native?.port.durable;
    if (durable === undefined) throw new TransportError("NotAvailable", `durable events need a transport whose broker stores them (NATS with JetStream); "${this.transport.localAddress}" has none`);
    return durable;
  }

  /** Whether this PubSub routes events to `subscription` itself: always, unless the broker serves it. */
  #routesItself(subscription: Subscription): boolean {
    return this.#native === undefined || !NativeRoute.serves(subscription);
  }

  /** A local subscriber's outcome as the reply to a broker-delivered topic request. */
  readonly #nativeReply = (outcome: { value: unknown } | { error: unknown }, request: Message): Message => {
    const self = this.transport.localAddress;
    const id = Number(request.headers[REPLY_HEADER] ?? request.id);
    return "error" in outcome ? errorReply(self, id, RpcError.from(outcome.error)) : Message.response(self, id, outcome.value as Body);
  };

  /** An event the broker delivered to `subscription` (see NativeRoute). */
  readonly #onNative = (subscription: Subscription, event: NativeEvent): void => {
    if (this.#closed) return;
    subscription.deliver(pendingOf(event, this.#nativeReply));
    this.#stats.delivered++;
  };

  /** Returns one credit on `lane` to `publisher` when called (once). */
  #returner(publisher: string, lane: string): () => void {
    return () => this.#returnCredit(publisher, lane, 1);
  }

  /** Batches credit back to a publisher: half a window at a time, or at once for lanes nobody here takes. */
  #returnCredit(publisher: string, lane: string, count: number, immediately = false): void {
    let lanes = this.#grants.get(publisher);
    if (lanes === undefined) this.#grants.set(publisher, (lanes = new Map()));
    const owed = (lanes.get(lane) ?? 0) + count;
    if (!immediately && owed < this.#grantBatch(lane)) {
      lanes.set(lane, owed);
      return;
    }
    lanes.delete(lane);
    const value: EventCredit = lane.startsWith("g:")
      ? { subscriptionId: 0, queueGroup: lane.slice(2), count: owed }
      : { subscriptionId: Number(lane.slice(2)), queueGroup: "", count: owed };
    this.transport.send(publisher, Message.control(this.transport.localAddress, { operation: { $case: "eventCredit", value } })).catch(() => undefined);
  }

  #grantBatch(lane: string): number {
    let window = Infinity;
    for (const subscription of this.#local.values()) {
      const key = subscription.queue === "" ? subscriptionLane(subscription.id) : groupLane(subscription.queue);
      if (key === lane && subscription.window > 0) window = Math.min(window, subscription.window);
    }
    return window === Infinity ? 1 : Math.max(1, Math.ceil(window / 2));
  }

  readonly #onMessage = (received: ReceivedMessage): void => {
    if (this.#closed) return;
    const { from, message } = received;
    const payload = message.envelope.payload;
    switch (payload?.$case) {
      case "event":
      case "broadcast": {
        const subject = payload.$case === "event" ? payload.value.name : payload.value.topic;
        const replyTo = message.headers[REPLY_HEADER];
        const reply = replyTo === undefined ? undefined : this.#replier(from, Number(replyTo));
        const group = payload.$case === "event" ? message.headers[QUEUE_HEADER] : undefined;
        const lanes = message.headers[CREDIT_HEADER];
        const credit = lanes === undefined ? undefined : new Set(lanes.split(","));
        // natively, a metered copy is for its "block" lanes; a broadcast, or a copy from an agent without native pub/sub, for everyone
        const count = this.#deliverLocal(message, subject, from, group, reply, credit, payload.$case === "broadcast" || credit === undefined);
        // lanes no local subscription took (it went meanwhile) give their credit back at once
        for (const lane of credit ?? []) this.#returnCredit(from, lane, 1, true);
        if (count === 0) {
          this.#stats.unmatched++;
          reply?.({ error: new RpcError(Status.UNAVAILABLE, `no subscriber on ${JSON.stringify(subject)} at "${this.transport.localAddress}"`) });
        }
        return;
      }
      case "control":
        return this.#onControl(from, payload.value, message.headers[NATIVE_HEADER] === "1");
    }
  };

  #onControl(from: string, control: Control, native: boolean): void {
    const operation = control.operation;
    switch (operation?.$case) {
      case "subscribe": {
        const { subscriptionId, pattern, queueGroup, window } = operation.value;
        this.#remote.add(from, subscriptionId, pattern, queueGroup, window, native);
        return;
      }
      case "unsubscribe": {
        const lane = this.#remote.remove(from, operation.value.subscriptionId);
        if (lane !== undefined) this.#credit.forgetLane(from, lane);
        return;
      }
      case "interestSync":
        for (const subscription of this.#local.values()) {
          this.transport.send(from, this.#controlMessage({ $case: "subscribe", value: announce(subscription) })).catch(() => undefined);
        }
        return;
      case "eventCredit": {
        const { subscriptionId, queueGroup, count } = operation.value;
        this.#credit.grant(from, queueGroup === "" ? subscriptionLane(subscriptionId) : groupLane(queueGroup), count);
        return;
      }
    }
  }

  readonly #peerGone = (event: PeerGoneEvent): void => {
    if (event.address !== undefined) {
      this.#remote.removeAgent(event.address);
      this.#credit.forgetAgent(event.address);
      this.#grants.delete(event.address);
      return;
    }
    // The link dropped (or the transport closed): everything learned is stale. Announce our
    // subscriptions and ask for everyone's again; a reconnecting transport sends these once
    // it is back (a closed one refuses them, which is ignored).
    this.#remote.clear();
    this.#credit.forgetAgent();
    this.#grants.clear();
    if (!this.#closed && this.transport.state === "open") this.#announceAll();
  };

  /** Sends the outcome of a local handler back to a remote requester, once. */
  #replier(to: string, id: number): PendingEvent["reply"] {
    let replied = false;
    return (outcome) => {
      if (replied || !Number.isSafeInteger(id)) return;
      replied = true;
      const self = this.transport.localAddress;
      const reply =
        "error" in outcome
          ? errorReply(self, id, RpcError.from(outcome.error))
          : Message.response(self, id, outcome.value as Body);
      this.transport.send(to, reply).catch(() => undefined);
    };
  }

  #announceAll(): void {
    this.#broadcastControl({ $case: "interestSync", value: {} });
    for (const subscription of this.#local.values()) this.#broadcastControl({ $case: "subscribe", value: announce(subscription) });
  }

  #broadcastControl(operation: NonNullable<Control["operation"]>): void {
    this.transport.broadcast(this.#controlMessage(operation)).catch(() => undefined);
  }

  /** An interest control from this agent, marked when its broker delivers natively. */
  #controlMessage(operation: NonNullable<Control["operation"]>): Message {
    const message = Message.control(this.transport.localAddress, { operation });
    return this.#native === undefined ? message : message.withHeader(NATIVE_HEADER, "1");
  }
}

/** A PubSub on `demux` (see `createDemux`): it takes the demux's "events" lane. */
export function createPubSub(demux: Demux): PubSub {
  return new PubSub(demux);
}

const NO_LANES: readonly MeteredLane[] = [];
/** No local queue group matches (never added to: #route only reads it and deletes from it). */
const NO_GROUPS = new Map<string, number>();

function announce(subscription: Subscription): Subscribe {
  return { subscriptionId: subscription.id, pattern: subscription.pattern, queueGroup: subscription.queue, window: subscription.window };
}

function subjectOf(message: Message, kind: "event" | "broadcast"): string {
  const payload = message.envelope.payload;
  if (payload?.$case !== kind) throw new TypeError(`expected a Message.${kind}(...), got a ${message.kind ?? "message without payload"}`);
  const subject = payload.$case === "event" ? payload.value.name : payload.value.topic;
  validateSubject(subject);
  return subject;
}

function copyWithHeader(message: Message, name: string, value: string): Message {
  return new Message({ ...message.envelope, headers: { ...message.envelope.headers, [name]: value } });
}

function errorReply(source: string, id: number, error: RpcError): Message {
  const details = error.details === undefined ? undefined : toData(error.details as Body);
  return Message.create(source, {
    $case: "response",
    value: { correlationId: id, outcome: { $case: "error", value: { code: error.code, message: error.rawMessage, details } }, trailers: {} },
  });
}

function rpcErrorOf(error: { code: number; message: string; details: Parameters<typeof dataJson>[0] }): RpcError {
  return new RpcError(error.code as Status, error.message, { details: dataJson(error.details) ?? dataBytes(error.details) });
}

/** `promise`, or a rejection with the signal's reason if it aborts first (no listener left behind). */
function untilAborted(promise: Promise<void>, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    void promise.then(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    });
  });
}

import type { Subscribe } from "../../generated/swarm/transport/v1/control.js";
import type { Response } from "../../generated/swarm/transport/v1/envelope.js";
import { dataBytes, dataJson, type Body } from "../protocol/data.js";
import { Message } from "../protocol/message.js";
import { CallDispatcher, type ClientCallHandle } from "../rpc/dispatcher.js";
import { RpcError } from "../rpc/rpc-error.js";
import { Status } from "../rpc/status.js";
import { TransportError } from "../transport/errors.js";
import type { ReceivedMessage, Transport } from "../transport/transport.js";
import { InterestTable } from "./interest-table.js";
import { validateSubject } from "./subject.js";
import { Subscription, type EventHandler, type PendingEvent, type ReceivedEvent, type SubscribeOptions, type SubscriptionHost } from "./subscription.js";

/** Header naming the queue group an event was sent to one member of. */
export const QUEUE_HEADER = "swarm-queue";
/** Header carrying the correlation id a reply to a topic request must use. */
export const REPLY_HEADER = "swarm-reply";

/** Counters of one PubSub. */
export interface PubSubStats {
  /** Events published here. */
  published: number;
  /** Event messages sent to other agents (one per interested agent or queue group member). */
  forwarded: number;
  /** Events handed to local subscriptions (including from this agent). */
  delivered: number;
  /** Events arriving that no local subscription matched. */
  unmatched: number;
  /** Events discarded by overflow policies. */
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
 * subscription. Topic requests collect subscribers' replies.
 */
export class PubSub implements SubscriptionHost {
  readonly transport: Transport;
  readonly #dispatcher: CallDispatcher;
  readonly #local = new Map<number, Subscription>();
  readonly #remote = new InterestTable();
  readonly #localGroups = new Map<string, number>();
  readonly #errorListeners = new Set<(failure: HandlerFailure) => void>();
  readonly #stats: PubSubStats = { published: 0, forwarded: 0, delivered: 0, unmatched: 0, dropped: 0, handlerErrors: 0 };
  readonly #unlisten: () => void;
  readonly #unwatch: () => void;
  #nextId = 1;
  #closed = false;

  constructor(transport: Transport) {
    this.transport = transport;
    this.#dispatcher = CallDispatcher.of(transport);
    this.#unlisten = this.#dispatcher.onMessage(this.#onMessage);
    this.#unwatch = transport.onPeerGone((event) => {
      if (event.address !== undefined) return this.#remote.removeAgent(event.address);
      // The link dropped (or the transport closed): everything learned is stale. Announce our
      // subscriptions and ask for everyone's again; a reconnecting transport sends these once
      // it is back (a closed one refuses them, which is ignored).
      this.#remote.clear();
      if (!this.#closed && transport.state === "open") this.#announceAll();
    });
    this.#broadcastControl({ $case: "interestSync", value: {} });
  }

  /**
   * Subscribes to `pattern` (`*` one token, `>` the rest). With a handler, events are handed to
   * it one at a time; without, iterate the subscription. Throws `InvalidAddress` for an
   * invalid pattern.
   */
  subscribe(pattern: string, handler?: EventHandler, options: SubscribeOptions = {}): Subscription {
    if (this.#closed) throw TransportError.closed("pub/sub");
    const subscription = new Subscription(this, this.#nextId++, pattern, handler, options);
    this.#local.set(subscription.id, subscription);
    this.#broadcastControl({ $case: "subscribe", value: announce(subscription) });
    return subscription;
  }

  /**
   * Publishes an event (`Message.event`) to every interested agent and local subscription.
   * Resolves, with the number of deliveries (agents sent to plus local subscriptions), once
   * every transport took its copy — so a full receiver (overflow "block", or the transport's
   * own bound) makes the publisher wait.
   */
  async publish(message: Message): Promise<number> {
    const subject = subjectOf(message, "event");
    this.#stats.published++;
    const sends: Promise<void>[] = [];
    const count = this.#route(message, subject, undefined, sends);
    if (sends.length === 1) await sends[0];
    else if (sends.length > 1) await Promise.all(sends);
    return count;
  }

  /** Sends a broadcast (`Message.broadcast`) to every agent; subscriptions matching its topic receive it. */
  async broadcast(message: Message): Promise<void> {
    const subject = subjectOf(message, "broadcast");
    this.#stats.published++;
    this.#deliverLocal(message, subject, this.transport.localAddress, undefined, undefined);
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
    return this.#remote.targets(subject).agents.size > 0 || this.#remote.targets(subject).groups.size > 0;
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

  /** Ends every subscription (peers are told) and stops listening. */
  async close(): Promise<void> {
    if (this.#closed) return;
    for (const subscription of [...this.#local.values()]) await subscription.unsubscribe();
    this.#closed = true;
    this.#unlisten();
    this.#unwatch();
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
  hold(until: Promise<void>): void {
    this.#dispatcher.hold(until);
  }

  /** @internal */
  remove(subscription: Subscription): void {
    if (!this.#local.delete(subscription.id)) return;
    this.#dropped(subscription);
    if (!this.#closed) this.#broadcastControl({ $case: "unsubscribe", value: { subscriptionId: subscription.id } });
  }

  #dropped(subscription: Subscription): void {
    this.#stats.dropped += subscription.dropped;
  }

  async #request(subject: string, body: Body, options: RequestOptions, wanted: number): Promise<Message[]> {
    validateSubject(subject);
    const timeoutMs = options.timeoutMs ?? 5000;
    const id = this.#dispatcher.nextCallId();
    const message = Message.event(this.transport.localAddress, subject, body).withHeader(REPLY_HEADER, String(id));
    const replies: Message[] = [];
    return new Promise<Message[]>((resolve, reject) => {
      let expected = Infinity;
      let failures = 0;
      let firstError: RpcError | undefined;
      let timer: ReturnType<typeof setTimeout> | undefined;
      let done = false;
      const finish = (error?: RpcError) => {
        if (done) return;
        done = true;
        if (timer !== undefined) clearTimeout(timer);
        options.signal?.removeEventListener("abort", onAbort);
        this.#dispatcher.removeCall(id);
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
      const handle: ClientCallHandle = {
        peer: undefined,
        onResponse: (response: Response, reply: Message) => {
          const outcome = response.outcome;
          if (outcome?.$case === "error") refuse(rpcErrorOf(outcome.value));
          else accept(reply);
        },
        onFrame: () => undefined,
        onPeerGone: (_reason, address) => {
          if (address === undefined) finish(new RpcError(Status.UNAVAILABLE, `request on ${subject}: transport closed`));
        },
      };
      this.#dispatcher.addCall(id, handle);
      this.#stats.published++;
      expected = this.#route(message, subject, (outcome) => {
        // a local subscriber's reply
        if ("error" in outcome) refuse(RpcError.from(outcome.error));
        else accept(Message.response(this.transport.localAddress, id, outcome.value as Body));
      });
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

  /** Sends to interested agents and delivers to local subscriptions; returns the number of deliveries. */
  #route(message: Message, subject: string, localReply: PendingEvent["reply"], sends?: Promise<void>[]): number {
    const self = this.transport.localAddress;
    const { agents, groups } = this.#remote.targets(subject);
    let deliveries = 0;
    // plain subscribers: one message per interested agent
    for (const agent of agents) {
      const sent = this.#send(agent, message);
      sends?.push(sent);
      deliveries++;
    }
    // queue groups: one member among every agent's (and this agent's) members
    const localGroupMembers = this.#localGroupMembers(subject);
    for (const [group, members] of groups) {
      const localCount = localGroupMembers.get(group) ?? 0;
      const pick = this.#remote.pick(group, members.length + (localCount > 0 ? 1 : 0));
      if (pick < members.length) {
        const sent = this.#send(members[pick]!, copyWithHeader(message, QUEUE_HEADER, group));
        sends?.push(sent);
        deliveries++;
      } else {
        deliveries += this.#deliverLocal(message, subject, self, group, localReply);
      }
      localGroupMembers.delete(group);
    }
    // local queue groups nobody else has
    for (const group of localGroupMembers.keys()) deliveries += this.#deliverLocal(message, subject, self, group, localReply);
    deliveries += this.#deliverLocal(message, subject, self, undefined, localReply);
    return deliveries;
  }

  /** Sends one copy; a failure (the agent vanished) is counted as dropped, never thrown. */
  #send(agent: string, message: Message): Promise<void> {
    this.#stats.forwarded++;
    return this.transport.send(agent, message).then(undefined, () => {
      this.#stats.dropped++;
    });
  }

  #localGroupMembers(subject: string): Map<string, number> {
    const groups = new Map<string, number>();
    for (const subscription of this.#local.values()) {
      if (subscription.queue !== "" && subscription.matcher.matches(subject)) groups.set(subscription.queue, (groups.get(subscription.queue) ?? 0) + 1);
    }
    return groups;
  }

  /**
   * Delivers to local subscriptions: every plain match when `group` is undefined, else one
   * member of `group` (round robin). Returns how many subscriptions it reached.
   */
  #deliverLocal(message: Message, subject: string, from: string, group: string | undefined, reply: PendingEvent["reply"]): number {
    const event: ReceivedEvent = { subject, message, from };
    if (group !== undefined) {
      const members = [...this.#local.values()].filter((s) => s.queue === group && s.matcher.matches(subject));
      if (members.length === 0) return 0;
      const next = this.#localGroups.get(group) ?? 0;
      this.#localGroups.set(group, next + 1);
      members[next % members.length]!.deliver({ event, reply });
      this.#stats.delivered++;
      return 1;
    }
    let count = 0;
    for (const subscription of this.#local.values()) {
      if (subscription.queue === "" && subscription.matcher.matches(subject)) {
        subscription.deliver({ event, reply });
        count++;
      }
    }
    this.#stats.delivered += count;
    return count;
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
        const count = this.#deliverLocal(message, subject, from, group, reply);
        if (count === 0) {
          this.#stats.unmatched++;
          reply?.({ error: new RpcError(Status.UNAVAILABLE, `no subscriber on ${JSON.stringify(subject)} at "${this.transport.localAddress}"`) });
        }
        return;
      }
      case "control": {
        const operation = payload.value.operation;
        if (operation?.$case === "subscribe") this.#remote.add(from, operation.value.subscriptionId, operation.value.pattern, operation.value.queueGroup);
        else if (operation?.$case === "unsubscribe") this.#remote.remove(from, operation.value.subscriptionId);
        else if (operation?.$case === "interestSync") {
          for (const subscription of this.#local.values()) {
            this.transport.send(from, Message.control(this.transport.localAddress, { operation: { $case: "subscribe", value: announce(subscription) } })).catch(() => undefined);
          }
        }
        return;
      }
    }
  };

  /** Sends the outcome of a local handler back to a remote requester, once. */
  #replier(to: string, id: number): PendingEvent["reply"] {
    let replied = false;
    return (outcome) => {
      if (replied || !Number.isSafeInteger(id)) return;
      replied = true;
      const self = this.transport.localAddress;
      if ("error" in outcome) {
        const error = RpcError.from(outcome.error);
        this.#dispatcher.sendError(to, id, error.code, error.rawMessage);
      } else {
        this.transport.send(to, Message.response(self, id, outcome.value as Body)).catch(() => undefined);
      }
    };
  }

  #announceAll(): void {
    this.#broadcastControl({ $case: "interestSync", value: {} });
    for (const subscription of this.#local.values()) this.#broadcastControl({ $case: "subscribe", value: announce(subscription) });
  }

  #broadcastControl(operation: NonNullable<Parameters<typeof Message.control>[1]["operation"]>): void {
    this.transport.broadcast(Message.control(this.transport.localAddress, { operation })).catch(() => undefined);
  }
}

/** A PubSub on `transport` (one per transport: it shares the transport's reader with RPC). */
export function createPubSub(transport: Transport): PubSub {
  return new PubSub(transport);
}

function announce(subscription: Subscription): Subscribe {
  return { subscriptionId: subscription.id, pattern: subscription.pattern, queueGroup: subscription.queue };
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

function rpcErrorOf(error: { code: number; message: string; details: Parameters<typeof dataJson>[0] }): RpcError {
  return new RpcError(error.code as Status, error.message, { details: dataJson(error.details) ?? dataBytes(error.details) });
}


import type { Control, Undeliverable } from "../../../../generated/swarm/transport/v1/control.js";
import type { Envelope } from "../../../../generated/swarm/transport/v1/envelope.js";
import { encodeEnvelopeBody } from "../../../protocol/batch.js";
import { decodeEnvelope } from "../../../protocol/codec.js";
import { withAppended, withTtl } from "../../../protocol/envelope-bytes.js";
import { routeOfEnvelope, type EnvelopeRoute } from "../../../protocol/envelope-route.js";
import { isValidId, MAX_HEADER_BYTES, MAX_HEADER_COUNT, utf8Length } from "../../../protocol/limits.js";
import { Message } from "../../../protocol/message.js";
import type { EndpointCore } from "../../../transport/endpoint-core.js";
import { closeReason } from "../socket.js";
import type { AgentConnection } from "./agent-connection.js";
import type { CallTracker } from "./call-tracker.js";
import type { HubInbox } from "./hub-inbox.js";
import type { HubCounters } from "./hub-stats.js";
import { HubInterest, QUEUE_GROUP_HEADER } from "./hub-interest.js";
import { allowsId } from "./identity.js";
import type { Presence } from "./presence.js";

/** Called after anything was written to `target`, to hold it to the slow-consumer bound. @internal */
export type AfterWrite = (target: AgentConnection) => void;

/**
 * Where a hub sends what none of its own agents or links takes: a NATS backplane shared by
 * many hubs (see NatsBackplane). The router tells it who joins and leaves here.
 * @internal
 */
export interface RouterBackplane {
  joined(agentId: string, window: number): void;
  left(agentId: string, reason: string): void;
  /** Publishes a message for `destination` (an agent elsewhere) as received; false when it is not known there. */
  forward(destination: string, body: Uint8Array): boolean;
  /** A broadcast from an agent here, for every agent elsewhere. */
  broadcast(body: Uint8Array): void;
  /** Credit from `receiver` (here) for `sender` (elsewhere). */
  credit(receiver: string, sender: string, count: number): void;
  /** Whether `address` answers elsewhere, and its window. */
  lookup(address: string): Promise<{ found: boolean; window: number }>;
  /** Whether something elsewhere answers for `agentId` now (asked, not remembered). */
  answersElsewhere(agentId: string): Promise<boolean>;
}

/** An agent on another hub, and the link it is reached through. */
interface RemoteAgent {
  via: AgentConnection;
  window: number;
}

/** What the router needs from the hub. @internal */
export interface HubRouterParts {
  /** The hub's own endpoint: its listeners hear of every departure. */
  endpoint: EndpointCore;
  /** The hub's own receive side (messages to the hub, broadcasts). */
  inbox: HubInbox;
  counters: HubCounters;
  presence: Presence;
  /** Runs after every write to a connection (routed frames and the hub's own control alike). */
  afterWrite: AfterWrite;
  /** The largest envelope the hub writes (its maxMessageSize). */
  maxMessageSize: number;
}

/**
 * A hub's routing tables: its own agents (parked ones too), linked hubs, and the agents those
 * hubs announced (the directory). Frames are forwarded as the envelope bytes received; a ttl
 * change (one per hop between hubs) patches those bytes. Linked hubs must form a tree: a
 * directory entry is learned once, from the first link that announces it, and broadcasts go to
 * every link but the one they came from. A link may announce only ids its identity allows and
 * nobody here holds, and what arrives on it must come from one of the ids it announced.
 *
 *   agent ──▶ hub A ──(ttl-1)──▶ hub B ──▶ agent
 *              PeerJoined / PeerGone keep A's and B's directories in step
 * @internal
 */
export class HubRouter {
  readonly #localAddress: string;
  readonly #parts: HubRouterParts;
  readonly #agents = new Map<string, AgentConnection>();
  /** Links to other hubs, by their hub id. */
  readonly #hubs = new Map<string, AgentConnection>();
  /** Agents on other hubs, by id. */
  readonly #remote = new Map<string, RemoteAgent>();
  /** Every agent's subscriptions (here and beyond links), for multicast publishes. */
  readonly #interest = new HubInterest();
  /** The NATS backplane, when the hub has one. */
  backplane: RouterBackplane | undefined;
  /** Watches the RPC calls routed, once the hub was asked to (`WebSocketHub.callStats`). */
  calls: CallTracker | undefined;

  constructor(localAddress: string, parts: HubRouterParts) {
    this.#localAddress = localAddress;
    this.#parts = parts;
  }

  /** Whether `address` is taken anywhere this hub knows of. */
  isTaken(address: string): boolean {
    return address === this.#localAddress || this.#agents.has(address) || this.#hubs.has(address) || this.#remote.has(address);
  }

  /** This hub's agent `agentId` (open or parked). */
  agent(agentId: string): AgentConnection | undefined {
    return this.#agents.get(agentId);
  }

  /** The connection a message to `address` leaves on: the agent's own, or the link towards its hub. */
  nextHop(address: string): AgentConnection | undefined {
    return this.#agents.get(address) ?? this.#remote.get(address)?.via;
  }

  /** Whether `source` may send on `link`: the linked hub itself, or an agent it announced. */
  announcedBy(link: AgentConnection, source: string): boolean {
    return source === link.agentId || this.#remote.get(source)?.via === link;
  }

  /** How many agents this hub has (parked ones too). */
  get agentCount(): number {
    return this.#agents.size;
  }

  /** Ids of this hub's agents. */
  listAgents(): string[] {
    return [...this.#agents.keys()];
  }

  /** Ids of agents on linked hubs. */
  remoteAgents(): string[] {
    return [...this.#remote.keys()];
  }

  /** Ids of the linked hubs. */
  linkedHubs(): string[] {
    return [...this.#hubs.keys()];
  }

  /** This hub's agents, then the links to other hubs: a copy, safe to change the tables while using it. */
  connections(): AgentConnection[] {
    return [...this.#agents.values(), ...this.#hubs.values()];
  }

  /** Whether `address` is reachable, and its credit window. */
  lookup(address: string): { found: boolean; window: number } {
    if (address === this.#localAddress) return { found: true, window: 0 };
    const local = this.#agents.get(address);
    if (local !== undefined) return { found: true, window: local.window };
    const remote = this.#remote.get(address);
    return remote !== undefined ? { found: true, window: remote.window } : { found: false, window: 0 };
  }

  /** `lookup`, and when nothing here knows `address`, the backplane's answer. */
  async resolve(address: string): Promise<{ found: boolean; window: number }> {
    const here = this.lookup(address);
    return here.found || this.backplane === undefined ? here : this.backplane.lookup(address);
  }

  /** Registers an agent or a hub link, and tells linked hubs (or the new hub) what it needs to know. */
  add(connection: AgentConnection): void {
    if (connection.isHub) {
      this.#hubs.set(connection.agentId, connection);
      for (const [address, agent] of this.#agents) this.#control(connection, this.#localAddress, { $case: "peerJoined", value: { address, window: agent.window } });
      for (const [address, remote] of this.#remote) {
        if (remote.via !== connection) this.#control(connection, this.#localAddress, { $case: "peerJoined", value: { address, window: remote.window } });
      }
      return;
    }
    this.#agents.set(connection.agentId, connection);
    this.backplane?.joined(connection.agentId, connection.window);
    const joined = { address: connection.agentId, window: connection.window };
    for (const hub of this.#hubs.values()) this.#control(hub, this.#localAddress, { $case: "peerJoined", value: joined });
  }

  /** Forgets a connection that closed; tells whoever asked to hear of it (and the linked hubs). */
  remove(connection: AgentConnection, reason: string): void {
    if (connection.isHub) {
      if (this.#hubs.get(connection.agentId) !== connection) return;
      this.#hubs.delete(connection.agentId);
      for (const [address, remote] of [...this.#remote]) {
        if (remote.via === connection) this.#gone(address, `hub link to "${connection.agentId}" lost`, connection);
      }
      return;
    }
    if (this.#agents.get(connection.agentId) !== connection) return;
    this.#agents.delete(connection.agentId);
    this.#interest.removeAgent(connection.agentId);
    this.backplane?.left(connection.agentId, reason);
    this.#announceGone(connection.agentId, reason, undefined);
  }

  /**
   * Takes a parked agent out of the table without a PeerGone, so the agent resuming its session
   * takes its place; undefined when `agentId` is not parked here.
   */
  unpark(agentId: string): AgentConnection | undefined {
    const parked = this.#agents.get(agentId);
    if (parked?.state !== "parked") return undefined;
    this.#agents.delete(agentId);
    return parked;
  }

  /**
   * Routes a message (not hop-by-hop control) that arrived on `from`, as received (`body`).
   * Requests and interest make their receiver watch their sender (see Presence).
   */
  route(from: AgentConnection, envelope: EnvelopeRoute, body: Uint8Array): void {
    // ttl counts the hub-to-hub hops left (see #hop); at 0 the envelope has expired before any
    if (envelope.ttl === 0) {
      this.#parts.counters.droppedByTtl++;
      return this.undeliverable(from, envelope, "Timeout", "ttl 0: expired on arrival");
    }
    const calls = this.calls;
    // the tracker reads requests, responses and cancels: only those are decoded for it
    if (calls !== undefined && (envelope.kind === "request" || envelope.kind === "response" || envelope.kind === "control")) calls.observe(envelope.envelope(), this.#localAddress);
    const destination = envelope.destination;
    if (envelope.control !== undefined) this.#noteInterest(envelope.source, envelope.control);
    if (destination === undefined) {
      if (envelope.kind === "event" && from.multicast) return this.#multicast(from, envelope, envelope.eventName, body);
      if (isSubscribe(envelope)) this.#parts.presence.announcedToAll(envelope.source);
      for (const target of this.#agents.values()) if (target !== from) this.#forward(from, envelope, target, body);
      for (const hub of this.#hubs.values()) if (hub !== from) this.#hop(from, hub, envelope, body);
      if (!from.isHub) this.backplane?.broadcast(body);
      this.#parts.inbox.offerBroadcast(envelope.source, () => new Message(envelope.envelope()), body.length);
      return;
    }
    if (destination === this.#localAddress) {
      const refused = this.#parts.inbox.offer(envelope.source, new Message(envelope.envelope()), body.length);
      if (refused !== undefined) this.undeliverable(from, envelope, refused.code, refused.reason);
      return;
    }
    const local = this.#agents.get(destination);
    if (local !== undefined) {
      local.meteredIn++;
      if (createsState(envelope)) this.#parts.presence.watch(destination, envelope.source);
      return this.#forward(from, envelope, local, body);
    }
    const remote = this.#remote.get(destination);
    if (remote !== undefined) return this.#hop(from, remote.via, envelope, body);
    if (this.backplane?.forward(destination, body)) {
      this.#parts.counters.messagesRouted++;
      return;
    }
    this.undeliverable(from, envelope, "InvalidAddress", `no agent "${destination}"`);
  }

  /** Directory, credit and relayed Undeliverable control from a linked hub or an agent; true when handled here. */
  onControl(from: AgentConnection, envelope: Envelope): boolean {
    const operation = envelope.payload?.$case === "control" ? envelope.payload.value.operation : undefined;
    switch (operation?.$case) {
      case "peerJoined": {
        const { address, window } = operation.value;
        if (!from.isHub) return true;
        if (this.isTaken(address) || !isValidId(address) || !allowsId(from.identity.ids, address)) {
          this.#parts.counters.linkViolations++;
          return true;
        }
        this.#remote.set(address, { via: from, window });
        for (const hub of this.#hubs.values()) if (hub !== from) this.#control(hub, this.#localAddress, operation);
        return true;
      }
      case "peerGone":
        if (from.isHub && this.#remote.get(operation.value.address)?.via === from) this.#gone(operation.value.address, operation.value.reason, from);
        return true;
      case "credit": {
        // the receiver (an agent here, or the envelope's source when relayed by a hub) grants the sender more
        const receiver = from.isHub ? envelope.source : from.agentId;
        if (!from.isHub) from.creditGranted += operation.value.count;
        const sender = operation.value.address;
        const local = this.#agents.get(sender);
        if (local !== undefined) this.#control(local, this.#localAddress, { $case: "credit", value: { address: receiver, count: operation.value.count } });
        else if (this.#remote.has(sender) || this.backplane === undefined) this.#control(this.#remote.get(sender)?.via, receiver, operation);
        else this.backplane.credit(receiver, sender, operation.value.count);
        return true;
      }
      case "undeliverable":
        // from a linked hub, about an envelope of one of our agents (or one further along the tree)
        if (from.isHub && envelope.destination !== undefined) this.tell(envelope.destination, operation.value, envelope.source);
        return true;
      default:
        return false;
    }
  }

  /**
   * A message from the backplane for this hub's agent `agentId`, as received (`envelope` is its
   * decoded form: requests and interest make the receiver watch the sender, as for routed
   * envelopes); false when the agent is not here.
   */
  fromBackplane(agentId: string, envelope: Envelope, body: Uint8Array): boolean {
    if (envelope.destination !== agentId) return false;
    if (agentId === this.#localAddress) return this.#parts.inbox.offer(envelope.source, new Message(envelope), body.length) === undefined;
    const target = this.#agents.get(agentId);
    if (target === undefined) return false;
    this.calls?.observe(envelope, this.#localAddress);
    const route = routeOfEnvelope(envelope);
    if (route.control !== undefined) this.#noteInterest(envelope.source, route.control);
    if (createsState(route)) this.#parts.presence.watch(agentId, envelope.source);
    this.#fromBackplane(target, body);
    return true;
  }

  /** Credit from `receiver` elsewhere on the backplane for this hub's agent `agentId` (held to the agent's write bound like every control). */
  creditFromBackplane(agentId: string, receiver: string, count: number): void {
    this.#control(this.#agents.get(agentId), this.#localAddress, { $case: "credit", value: { address: receiver, count } });
  }

  /** A broadcast from elsewhere on the backplane: every agent here but its source, and the hub's endpoint. */
  broadcastFromBackplane(envelope: Envelope, body: Uint8Array): void {
    const route = routeOfEnvelope(envelope);
    if (route.control !== undefined) this.#noteInterest(envelope.source, route.control);
    if (isSubscribe(route)) this.#parts.presence.announcedToAll(envelope.source);
    for (const target of this.#agents.values()) if (target.agentId !== envelope.source && target.state !== "closed") this.#fromBackplane(target, body);
    this.#parts.inbox.offerBroadcast(envelope.source, () => new Message(envelope), body.length);
  }

  /** An agent elsewhere on the backplane left or came back after a gap: this hub's agents and endpoint are told. */
  backplaneGone(address: string, reason: string, moved = false): void {
    if (!this.#agents.has(address)) this.#interest.removeAgent(address);
    if (moved || !this.#agents.has(address)) this.#announceGone(address, reason, undefined);
  }

  #fromBackplane(target: AgentConnection, body: Uint8Array): void {
    try {
      target.sendBody(body);
    } catch {
      this.#parts.counters.undeliverable++; // too large for this receiver
      return;
    }
    this.#parts.counters.messagesRouted++;
    this.#parts.afterWrite(target);
  }

  /** Drops an envelope and tells its sender why (through the links, when it came from another hub). */
  undeliverable(from: AgentConnection, envelope: Addressed, code: string, reason: string): void {
    this.#parts.counters.undeliverable++;
    this.#parts.endpoint.stats.messagesDropped++;
    const value = { messageId: envelope.id, destination: envelope.destination ?? "", code, reason };
    if (!from.isHub) this.#control(from, this.#localAddress, { $case: "undeliverable", value });
    else this.tell(envelope.source, value, this.#localAddress);
  }

  /** Tells `address` (an agent here or beyond a link) that one of its envelopes was dropped; `source` signs the notice. */
  tell(address: string, value: Undeliverable, source: string): void {
    const target = this.nextHop(address) ?? this.#hubs.get(address);
    if (target === undefined) return;
    this.#write(target, Message.control(source, { operation: { $case: "undeliverable", value } }).to(address));
  }

  /** The hub's own endpoint announces interest (a PubSub on the hub): it is a subscriber like the agents. */
  noteOwnInterest(envelope: Envelope): void {
    const payload = envelope.payload;
    if (payload?.$case === "control") this.#noteInterest(this.#localAddress, payload.value);
  }

  /** Subscribe / Unsubscribe passing through (broadcast, or unicast in answer to InterestSync) keep the interest table. */
  #noteInterest(source: string, control: Control): void {
    const operation = control.operation;
    if (operation?.$case === "subscribe") {
      const { subscriptionId, pattern, queueGroup, window } = operation.value;
      this.#interest.add(source, subscriptionId, pattern, queueGroup, window);
    } else if (operation?.$case === "unsubscribe") {
      this.#interest.remove(source, operation.value.subscriptionId);
    }
  }

  /**
   * A publish from an agent that negotiated "multicast" ([M2]): one frame in, a copy to each
   * agent with a matching plain subscription and to one member of each queue group, by the
   * hub's interest table. Metered subscriptions, and queue groups the publisher belongs to,
   * stay with the publisher ([M3]). Plain copies are the received bytes, shared; a group
   * member's copy gets the `swarm-queue` header appended, one beyond a link its destination.
   */
  #multicast(from: AgentConnection, envelope: EnvelopeRoute, subject: string, body: Uint8Array): void {
    const publisher = envelope.source;
    const interest = this.#interest;
    const targets = interest.targets(subject);
    // the hub's own endpoint takes a publish as a broadcast (below), its queue group members when picked
    for (const agent of targets.agents) if (agent !== publisher && agent !== this.#localAddress) this.#deliver(from, envelope, agent, body, undefined);
    for (const [group, members] of targets.groups) {
      if (interest.isMember(publisher, group, subject)) continue;
      if (!hasRoomForHeader(envelope, group)) {
        this.#parts.counters.undeliverable++;
        continue;
      }
      this.#deliver(from, envelope, members[interest.pick(group, members.length)]!, body, group);
    }
    this.#parts.inbox.offerBroadcast(envelope.source, () => new Message(envelope.envelope()), body.length);
  }

  /** One multicast copy to `agent` (here, or beyond a link with its destination set); `group` adds the queue header. */
  #deliver(from: AgentConnection, envelope: EnvelopeRoute, agent: string, body: Uint8Array, group: string | undefined): void {
    const header = group === undefined ? undefined : ([QUEUE_GROUP_HEADER, group] as const);
    if (agent === this.#localAddress) {
      if (group !== undefined) this.#parts.inbox.offerBroadcast(envelope.source, () => new Message(decodeEnvelope(withAppended(body, header))), body.length);
      return;
    }
    const local = this.#agents.get(agent);
    if (local !== undefined) return this.#forward(from, envelope, local, header === undefined ? body : withAppended(body, header));
    const remote = this.#remote.get(agent);
    if (remote !== undefined) return this.#hop(from, remote.via, envelope, withAppended(body, header, agent));
    // elsewhere on a NATS backplane: an addressed copy, as a message to that agent would go
    if (this.backplane?.forward(agent, withAppended(body, header, agent))) this.#parts.counters.messagesRouted++;
  }

  #forward(from: AgentConnection, envelope: Addressed, target: AgentConnection, body: Uint8Array): void {
    try {
      target.sendBody(body);
    } catch (error) {
      // too large for this receiver (it announced a smaller maxMessageSize)
      if (envelope.destination !== undefined) this.undeliverable(from, envelope, "MessageTooLarge", error instanceof Error ? error.message : String(error));
      else this.#parts.counters.undeliverable++;
      return;
    }
    this.#parts.counters.messagesRouted++;
    this.#parts.afterWrite(target);
  }

  /** One hop to another hub: the ttl (if set) loses one; at 0 the message is dropped. */
  #hop(from: AgentConnection, hub: AgentConnection, envelope: Addressed, body: Uint8Array): void {
    if (envelope.ttl === undefined) return this.#forward(from, envelope, hub, body);
    if (envelope.ttl <= 1) {
      this.#parts.counters.droppedByTtl++;
      return this.undeliverable(from, envelope, "Timeout", `ttl ran out before hub "${hub.agentId}"`);
    }
    this.#forward(from, envelope, hub, withTtl(body, envelope.ttl - 1));
  }

  #gone(address: string, reason: string, via: AgentConnection): void {
    this.#remote.delete(address);
    this.#interest.removeAgent(address);
    this.#announceGone(address, reason, via);
  }

  /**
   * PeerGone, encoded once, to the agents here that asked (Presence), the other linked hubs
   * (their directories), and the hub endpoint's listeners.
   */
  #announceGone(address: string, reason: string, via: AgentConnection | undefined): void {
    this.calls?.forget(address);
    const { everyone, watchers } = this.#parts.presence.departed(address);
    const notice = Message.control(this.#localAddress, { operation: { $case: "peerGone", value: { address, reason: closeReason(reason) } } });
    let body: Uint8Array | undefined;
    const send = (target: AgentConnection) => {
      body ??= encodeEnvelopeBody(notice.envelope, this.#parts.maxMessageSize);
      this.#writeBody(target, body);
    };
    if (everyone) {
      for (const agent of this.#agents.values()) send(agent);
    } else {
      for (const watcher of watchers) {
        const agent = this.#agents.get(watcher);
        if (agent !== undefined) send(agent);
      }
    }
    for (const hub of this.#hubs.values()) if (hub !== via) send(hub);
    this.#parts.endpoint.peerGone(address, reason);
  }

  #control(target: AgentConnection | undefined, source: string, operation: NonNullable<Control["operation"]>): void {
    if (target !== undefined) this.#write(target, Message.control(source, { operation }));
  }

  #write(target: AgentConnection, message: Message): void {
    try {
      target.link.writeControl(message);
    } catch {
      this.#parts.endpoint.stats.errors++;
      return;
    }
    this.#parts.afterWrite(target);
  }

  #writeBody(target: AgentConnection, body: Uint8Array): void {
    try {
      target.sendBody(body);
    } catch {
      this.#parts.endpoint.stats.errors++;
      return;
    }
    this.#parts.afterWrite(target);
  }
}

/** What the router reads of an envelope it drops or forwards: a decoded one, or a route read from its bytes. */
type Addressed = Pick<Envelope, "id" | "source" | "destination" | "ttl">;

/** A request or interest: its receiver keeps state about the sender, so it watches it. */
function createsState(envelope: EnvelopeRoute): boolean {
  return envelope.kind === "request" || isSubscribe(envelope);
}

/** Whether a `swarm-queue` header fits the envelope's headers within the [F8] limits (the receiver would refuse it otherwise). */
function hasRoomForHeader(envelope: EnvelopeRoute, group: string): boolean {
  const headers = envelope.headers;
  let count = 0;
  let bytes = 0;
  for (const key in headers) {
    if (key === QUEUE_GROUP_HEADER) continue;
    count++;
    bytes += utf8Length(key) + utf8Length(headers[key]!);
  }
  return count < MAX_HEADER_COUNT && bytes + utf8Length(QUEUE_GROUP_HEADER) + utf8Length(group) <= MAX_HEADER_BYTES;
}

function isSubscribe(envelope: EnvelopeRoute): boolean {
  return envelope.control?.operation?.$case === "subscribe";
}

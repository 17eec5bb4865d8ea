import type { Control } from "../../../../generated/swarm/transport/v1/control.js";
import type { Envelope } from "../../../../generated/swarm/transport/v1/envelope.js";
import { Message } from "../../../protocol/message.js";
import type { EndpointCore } from "../../../transport/endpoint-core.js";
import type { AgentConnection } from "./agent-connection.js";
import type { HubCounters } from "./hub-stats.js";

/** Called after a routed frame was written to `target`, e.g. to hold it to the slow-consumer bound. @internal */
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

/**
 * A hub's routing tables: its own agents (parked ones too), linked hubs, and the agents those
 * hubs announced (the directory). Frames are forwarded as the envelope bytes received; only a
 * ttl change (one per hop between hubs) re-encodes. Linked hubs must form a tree: a directory
 * entry is learned once, from the first link that announces it, and broadcasts go to every
 * link but the one they came from.
 *
 *   agent ──▶ hub A ──(ttl-1)──▶ hub B ──▶ agent
 *              PeerJoined / PeerGone keep A's and B's directories in step
 * @internal
 */
export class HubRouter {
  readonly #localAddress: string;
  readonly #endpoint: EndpointCore;
  readonly #counters: HubCounters;
  readonly #agents = new Map<string, AgentConnection>();
  /** Links to other hubs, by their hub id. */
  readonly #hubs = new Map<string, AgentConnection>();
  /** Agents on other hubs, by id. */
  readonly #remote = new Map<string, RemoteAgent>();
  /** The NATS backplane, when the hub has one. */
  backplane: RouterBackplane | undefined;

  /** `endpoint` is the hub's own: messages for `localAddress` and PeerGone go there. */
  constructor(localAddress: string, endpoint: EndpointCore, counters: HubCounters) {
    this.#localAddress = localAddress;
    this.#endpoint = endpoint;
    this.#counters = counters;
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

  /** Forgets a connection that closed; tells everyone who could reach it. */
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
    this.backplane?.left(connection.agentId, reason);
    this.#announceGone(connection.agentId, reason, undefined);
  }

  /**
   * Takes a parked agent out of the table without a PeerGone, so the agent reconnecting under
   * its id can take its place; undefined when `agentId` is not parked here.
   */
  unpark(agentId: string): AgentConnection | undefined {
    const parked = this.#agents.get(agentId);
    if (parked?.state !== "parked") return undefined;
    this.#agents.delete(agentId);
    return parked;
  }

  /**
   * Routes a message (not control) that arrived on `from`, as received (`body`); `afterWrite`
   * runs after each frame written to a connection.
   */
  route(from: AgentConnection, envelope: Envelope, body: Uint8Array, afterWrite: AfterWrite): void {
    // ttl counts the hub-to-hub hops left (see #hop); at 0 the envelope has expired before any
    if (envelope.ttl === 0) {
      this.#counters.droppedByTtl++;
      return this.undeliverable(from, envelope, "Timeout", "ttl 0: expired on arrival");
    }
    const destination = envelope.destination;
    if (destination === undefined) {
      for (const target of this.#agents.values()) if (target !== from) this.#forward(target, body, afterWrite);
      for (const hub of this.#hubs.values()) if (hub !== from) this.#hop(from, hub, envelope, body, afterWrite);
      if (!from.isHub) this.backplane?.broadcast(body);
      if (!this.#endpoint.offer({ from: envelope.source, message: new Message(envelope) }, body.length)) this.#endpoint.stats.messagesDropped++;
      return;
    }
    if (destination === this.#localAddress) return this.#endpoint.deliver(envelope.source, new Message(envelope), body.length, from.pause, from.resume);
    const local = this.#agents.get(destination);
    if (local !== undefined) return this.#forward(local, body, afterWrite);
    const remote = this.#remote.get(destination);
    if (remote !== undefined) return this.#hop(from, remote.via, envelope, body, afterWrite);
    if (this.backplane?.forward(destination, body)) {
      this.#counters.messagesRouted++;
      return;
    }
    this.undeliverable(from, envelope, "InvalidAddress", `no agent "${destination}"`);
  }

  /** Directory and credit control from a linked hub or an agent; true when handled here. */
  onControl(from: AgentConnection, envelope: Envelope): boolean {
    const operation = envelope.payload?.$case === "control" ? envelope.payload.value.operation : undefined;
    switch (operation?.$case) {
      case "peerJoined": {
        const { address, window } = operation.value;
        if (!from.isHub || this.isTaken(address)) return true;
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
        const sender = operation.value.address;
        const local = this.#agents.get(sender);
        if (local !== undefined) this.#control(local, this.#localAddress, { $case: "credit", value: { address: receiver, count: operation.value.count } });
        else if (this.#remote.has(sender) || this.backplane === undefined) this.#control(this.#remote.get(sender)?.via, receiver, operation);
        else this.backplane.credit(receiver, sender, operation.value.count);
        return true;
      }
      default:
        return false;
    }
  }

  /**
   * A message from the backplane for this hub's agent `agentId`, as received (`envelope` is
   * its decoded form, for what a hub learns from what it routes); false when the agent is not here.
   */
  fromBackplane(agentId: string, envelope: Envelope, body: Uint8Array, afterWrite: AfterWrite): boolean {
    if (envelope.destination !== agentId) return false;
    if (agentId === this.#localAddress) {
      this.#endpoint.deliver(envelope.source, new Message(envelope), body.length);
      return true;
    }
    const target = this.#agents.get(agentId);
    if (target === undefined) return false;
    this.#forward(target, body, afterWrite);
    return true;
  }

  /** A broadcast from elsewhere on the backplane: every agent here but its source, and the hub's endpoint. */
  broadcastFromBackplane(envelope: Envelope, body: Uint8Array, afterWrite: AfterWrite): void {
    for (const target of this.#agents.values()) if (target.agentId !== envelope.source && target.state !== "closed") this.#forward(target, body, afterWrite);
    if (!this.#endpoint.offer({ from: envelope.source, message: new Message(envelope) }, body.length)) this.#endpoint.stats.messagesDropped++;
  }

  /** An agent elsewhere on the backplane left or came back after a gap: this hub's agents and endpoint are told. */
  backplaneGone(address: string, reason: string, moved = false): void {
    if (moved || !this.#agents.has(address)) this.#announceGone(address, reason, undefined);
  }

  /** Drops an envelope and tells its sender why. */
  undeliverable(from: AgentConnection, envelope: Envelope, code: string, reason: string): void {
    this.#counters.undeliverable++;
    this.#endpoint.stats.messagesDropped++;
    const value = { messageId: envelope.id, destination: envelope.destination ?? "", code, reason };
    if (!from.isHub) this.#control(from, this.#localAddress, { $case: "undeliverable", value });
  }

  #forward(target: AgentConnection, body: Uint8Array, afterWrite: AfterWrite): void {
    try {
      target.sendBody(body);
    } catch {
      this.#counters.undeliverable++;
      return;
    }
    this.#counters.messagesRouted++;
    afterWrite(target);
  }

  /** One hop to another hub: the ttl (if set) loses one; at 0 the message is dropped. */
  #hop(from: AgentConnection, hub: AgentConnection, envelope: Envelope, body: Uint8Array, afterWrite: AfterWrite): void {
    if (envelope.ttl === undefined) return this.#forward(hub, body, afterWrite);
    if (envelope.ttl <= 1) {
      this.#counters.droppedByTtl++;
      return this.undeliverable(from, envelope, "Timeout", `ttl ran out before hub "${hub.agentId}"`);
    }
    try {
      hub.link.sendEnvelope({ ...envelope, ttl: envelope.ttl - 1 });
      hub.messagesOut++;
    } catch {
      this.#counters.undeliverable++;
      return;
    }
    this.#counters.messagesRouted++;
    afterWrite(hub);
  }

  #gone(address: string, reason: string, via: AgentConnection): void {
    this.#remote.delete(address);
    this.#announceGone(address, reason, via);
  }

  /** PeerGone to this hub's agents, its endpoint's listeners and the other linked hubs. */
  #announceGone(address: string, reason: string, via: AgentConnection | undefined): void {
    const operation = { $case: "peerGone" as const, value: { address, reason } };
    for (const agent of this.#agents.values()) this.#control(agent, this.#localAddress, operation);
    for (const hub of this.#hubs.values()) if (hub !== via) this.#control(hub, this.#localAddress, operation);
    this.#endpoint.peerGone(address, reason);
  }

  #control(target: AgentConnection | undefined, source: string, operation: NonNullable<Control["operation"]>): void {
    if (target === undefined) return;
    try {
      target.link.writeControl(Message.control(source, { operation }));
    } catch {
      this.#endpoint.stats.errors++;
    }
  }
}

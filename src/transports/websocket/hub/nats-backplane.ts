import { connect, type Msg, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import type { Envelope } from "../../../../generated/swarm/transport/v1/envelope.js";
import { decodeFrame, encodeFrame, FrameFlags, type FrameCodecOptions } from "../../../protocol/codec.js";
import { isEndToEndControl } from "../../../protocol/control.js";
import { Message } from "../../../protocol/message.js";
import { gzip } from "../../../node/gzip.js";
import { TransportError } from "../../../transport/errors.js";
import type { StatsRecorder } from "../../../transport/stats.js";
import { isNoResponders, natsError, plainBytes } from "../../nats/nats-errors.js";
import { serverList } from "../../nats/nats-connect.js";
import { NatsSubjects } from "../../nats/nats-subjects.js";
import { EPOCH_HEADER, Presence, WINDOW_HEADER } from "../../nats/presence.js";
import { PublishBatch } from "../../nats/publish-batch.js";
import type { RouterBackplane } from "./hub-router.js";
import type { NatsBackplaneOptions } from "./nats-backplane-options.js";

/** What the backplane asks of its hub. @internal */
export interface BackplaneHost {
  readonly hubId: string;
  /** Writes an envelope (as received: `body`) to this hub's agent `agentId`; false when it is not here. */
  deliver(agentId: string, envelope: Envelope, body: Uint8Array): boolean;
  /** Writes a broadcast (as received: `body`) to every agent of this hub but its source. */
  deliverAll(envelope: Envelope, body: Uint8Array): void;
  /** Tells this hub's agent `agentId` that `receiver` took `count` of its messages (end-to-end credit). */
  credit(agentId: string, receiver: string, count: number): void;
  /** An agent elsewhere left, or came back after a gap: this hub's agents are told (PeerGone). */
  peerGone(address: string, reason: string): void;
  /** An agent known elsewhere reconnected to this hub (its hub died): what was in flight to it is lost. */
  moved(address: string, reason: string): void;
  /** A message from the backplane claimed the id of an agent of this hub (or the hub's own): dropped, counted. */
  spoofed(source: string): void;
  readonly stats: StatsRecorder;
}

interface LocalAgent {
  subscription: Subscription;
  window: number;
  epoch: string;
}

/**
 * A hub's seat on a NATS cluster: hubs on one cluster (and agents on NATS directly, see
 * NatsTransport) form one swarm, with NATS as the backbone instead of hub-to-hub links.
 *
 *   agent ─ws─▶ hub A ──<prefix>.a.<id>──▶ NATS cluster ──▶ hub B ─ws─▶ agent
 *
 * Every agent of this hub is reachable as `<prefix>.a.<id>` (the hub subscribes for it and
 * answers Lookups on its behalf); a message for an agent not on this hub is published there
 * as received; broadcasts go once to `<prefix>.all`; presence (Hello / Heartbeat / Goodbye per
 * agent) tells the other hubs and NATS agents who is where, and this hub's agents are told
 * (PeerGone) when an agent elsewhere leaves, falls silent or comes back after a gap. A hub
 * joins or leaves without the others restarting: nothing is configured between hubs.
 * @internal
 */
export class NatsBackplane implements RouterBackplane {
  readonly subjects: NatsSubjects;
  readonly #nc: NatsConnection;
  readonly #host: BackplaneHost;
  readonly #codec: FrameCodecOptions;
  readonly #batch: PublishBatch;
  readonly #presence: Presence;
  readonly #agents = new Map<string, LocalAgent>();
  readonly #instance = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  readonly #subscriptions: Subscription[] = [];
  readonly #timeoutMs: number;
  #timer: ReturnType<typeof setInterval> | undefined;
  #joins = 0;
  #seq = 0;
  #closed = false;

  private constructor(nc: NatsConnection, host: BackplaneHost, options: NatsBackplaneOptions, maxMessageSize: number, timeoutMs: number) {
    this.#nc = nc;
    this.#host = host;
    this.#timeoutMs = Math.max(1, timeoutMs);
    this.subjects = new NatsSubjects(options.subjectPrefix ?? "swarm");
    this.#codec = { maxMessageSize: Math.min(maxMessageSize, (nc.info?.max_payload ?? Infinity) - 1), enableCompression: false, compressionThreshold: 1024, compression: gzip };
    this.#batch = new PublishBatch(nc, () => void host.stats.errors++);
    const interval = options.heartbeatIntervalMs ?? 5000;
    this.#presence = new Presence({ joined: (peer, _window, rejoined) => rejoined && host.peerGone(peer, "reconnected elsewhere: messages in flight may be lost"), gone: (peer, reason) => host.peerGone(peer, reason) }, 100_000, interval * 3);
    this.#subscriptions.push(
      nc.subscribe(this.subjects.all, { callback: (error, msg) => this.#onBroadcast(error, msg) }),
      nc.subscribe(this.subjects.presence, { callback: (error, msg) => this.#onPresence(error, msg) }),
    );
    if (interval > 0) {
      this.#timer = setInterval(() => {
        for (const agentId of this.#agents.keys()) this.#publish(this.subjects.presence, this.#stamp(Message.heartbeat(agentId, ++this.#seq), agentId));
        this.#presence.sweep();
      }, interval);
    }
    void this.#watch();
  }

  /** Connects the hub to the NATS servers; rejects with `ConnectionError` when none answers. */
  static async join(host: BackplaneHost, options: NatsBackplaneOptions, maxMessageSize: number, timeoutMs: number): Promise<NatsBackplane> {
    const servers = serverList(options.servers);
    let nc: NatsConnection;
    try {
      nc = await connect({ servers, name: `swarm-transport hub ${host.hubId}`, timeout: Math.max(1, timeoutMs), maxReconnectAttempts: -1, reconnectTimeWait: 250, ...(options.token === undefined ? {} : { token: options.token }) });
    } catch (error) {
      throw natsError(error, "ConnectionError", `hub "${host.hubId}" cannot join the NATS backplane at ${servers.join(",")}`);
    }
    return new NatsBackplane(nc, host, options, maxMessageSize, timeoutMs);
  }

  /** Agents elsewhere that presence knows of. */
  remoteAgents(): string[] {
    return this.#presence.peers().filter((peer) => !this.#agents.has(peer));
  }

  /**
   * Whether something answers for `agentId` elsewhere on the backplane now (so it may not be
   * admitted here): a Lookup request, not presence, which may still remember an agent whose
   * hub has just died. An agent this hub itself serves is not "elsewhere".
   */
  async answersElsewhere(agentId: string): Promise<boolean> {
    if (this.#agents.has(agentId) || this.#closed) return false;
    try {
      await this.#nc.request(this.subjects.agent(agentId), this.#frame(Message.control(this.#host.hubId, { operation: { $case: "lookup", value: { address: agentId } } })), { timeout: this.#timeoutMs });
      return true;
    } catch (error) {
      if (!isNoResponders(error)) this.#host.stats.errors++;
      return false;
    }
  }

  /** An agent was admitted here: subscribe for it and announce it. */
  joined(agentId: string, window: number): void {
    if (this.#closed || this.#agents.has(agentId)) return;
    if (this.#presence.forget(agentId)) this.#host.moved(agentId, "moved to another hub: messages in flight to it may be lost");
    const subscription = this.#nc.subscribe(this.subjects.agent(agentId), { callback: (error, msg) => this.#onInbox(agentId, error, msg) });
    this.#agents.set(agentId, { subscription, window, epoch: `${this.#instance}.${++this.#joins}` });
    this.#publish(this.subjects.presence, this.#stamp(Message.hello(agentId, { metadata: {} }), agentId));
  }

  /** An agent of this hub left for good: unsubscribe and say Goodbye for it. */
  left(agentId: string, reason: string): void {
    const agent = this.#agents.get(agentId);
    if (agent === undefined) return;
    this.#agents.delete(agentId);
    agent.subscription.unsubscribe();
    if (!this.#closed) this.#publish(this.subjects.presence, Message.goodbye(agentId, reason));
  }

  /** Publishes a message for `destination` (not on this hub) as received; false when nobody there is known. */
  forward(destination: string, body: Uint8Array): boolean {
    if (this.#closed || !this.#presence.has(destination)) return false;
    this.#publish(this.subjects.agent(destination), undefined, body);
    return true;
  }

  /** A broadcast from one of this hub's agents: once to the whole swarm. */
  broadcast(body: Uint8Array): void {
    if (!this.#closed) this.#publish(this.subjects.all, undefined, body);
  }

  /** Relays credit from this hub's agent `receiver` to `sender` elsewhere. */
  credit(receiver: string, sender: string, count: number): void {
    if (!this.#closed) this.#publish(this.subjects.agent(sender), Message.control(receiver, { operation: { $case: "credit", value: { address: sender, count } } }));
  }

  /** Whether `address` is reachable through the backplane, and its window: presence first, else a Lookup request. */
  async lookup(address: string): Promise<{ found: boolean; window: number }> {
    const window = this.#presence.window(address);
    if (window !== undefined) return { found: true, window };
    try {
      const reply = await this.#nc.request(this.subjects.agent(address), this.#frame(Message.control(this.#host.hubId, { operation: { $case: "lookup", value: { address } } })), { timeout: this.#timeoutMs });
      const operation = decodeFrame(plainBytes(reply.data), this.#codec).payload;
      const found = operation?.$case === "control" && operation.value.operation?.$case === "lookupResult" ? operation.value.operation.value : undefined;
      const window = found?.window ?? 0;
      this.#presence.heard(address, "", window);
      return { found: true, window };
    } catch (error) {
      if (isNoResponders(error)) return { found: false, window: 0 };
      this.#host.stats.errors++;
      return { found: false, window: 0 };
    }
  }

  /** Leaves the backplane: Goodbye for every agent here, then the connection closes. */
  async close(): Promise<void> {
    if (this.#closed) return;
    clearInterval(this.#timer);
    for (const agentId of [...this.#agents.keys()]) this.left(agentId, "hub closing");
    this.#closed = true;
    for (const subscription of this.#subscriptions) subscription.unsubscribe();
    this.#batch.flush();
    await this.#nc.flush().catch(() => undefined);
    await this.#nc.close().catch(() => undefined);
  }

  /** After a reconnect to another NATS server: announce this hub's agents again (new epochs). */
  async #watch(): Promise<void> {
    for await (const status of this.#nc.status()) {
      if (this.#closed) return;
      if (status.type === "reconnect") {
        this.#host.stats.reconnections++;
        this.#presence.refresh();
        for (const [agentId, agent] of this.#agents) {
          agent.epoch = `${this.#instance}.${++this.#joins}`;
          this.#publish(this.subjects.presence, this.#stamp(Message.hello(agentId, { metadata: {} }), agentId));
        }
      } else if (status.type === "disconnect") {
        // what was in flight across the cluster may be lost: the agents here fail their calls to agents elsewhere
        for (const peer of this.remoteAgents()) this.#host.peerGone(peer, "hub lost its NATS server; failing over");
      }
    }
  }

  #onInbox(agentId: string, error: Error | null, msg: Msg): void {
    const decoded = this.#decode(error, msg);
    if (decoded === undefined) return;
    const { envelope, body } = decoded;
    const payload = envelope.payload;
    const operation = payload?.$case === "control" ? payload.value.operation : undefined;
    if (operation?.$case === "lookup") {
      if (msg.reply) this.#publish(msg.reply, Message.control(agentId, { operation: { $case: "lookupResult", value: { address: agentId, found: true, window: this.#agents.get(agentId)?.window ?? 0 } } }));
      return;
    }
    // an agent of this hub speaks through its own connection, never through NATS: a message in its name is forged
    if (this.#agents.has(envelope.source)) return this.#host.spoofed(envelope.source);
    if (operation?.$case === "credit") return this.#host.credit(agentId, envelope.source, operation.value.count);
    if (payload?.$case === "heartbeat") return this.#heard(envelope);
    if (!passesToAgents(envelope)) return void this.#host.stats.errors++;
    this.#presence.seen(envelope.source, Date.now());
    if (!this.#host.deliver(agentId, envelope, body)) this.#host.stats.messagesDropped++;
  }

  #onBroadcast(error: Error | null, msg: Msg): void {
    const decoded = this.#decode(error, msg);
    if (decoded === undefined || this.#agents.has(decoded.envelope.source)) return; // our own, back from NATS
    if (!passesToAgents(decoded.envelope)) return void this.#host.stats.errors++;
    this.#host.deliverAll(decoded.envelope, decoded.body);
  }

  #onPresence(error: Error | null, msg: Msg): void {
    const decoded = this.#decode(error, msg);
    if (decoded === undefined) return;
    const { envelope } = decoded;
    if (this.#agents.has(envelope.source)) return;
    const payload = envelope.payload;
    if (payload?.$case === "heartbeat") return this.#heard(envelope);
    if (payload?.$case !== "control") return;
    const operation = payload.value.operation;
    if (operation?.$case === "hello") {
      this.#heard(envelope);
      // answer for every agent here, so the newcomer knows them at once
      for (const agentId of this.#agents.keys()) this.#publish(this.subjects.agent(envelope.source), this.#stamp(Message.heartbeat(agentId, ++this.#seq), agentId));
    } else if (operation?.$case === "goodbye") {
      this.#presence.left(envelope.source, operation.value.reason || "closed");
    }
  }

  #heard(envelope: Envelope): void {
    if (this.#agents.has(envelope.source)) return;
    this.#presence.heard(envelope.source, envelope.headers[EPOCH_HEADER] ?? "", Number(envelope.headers[WINDOW_HEADER] ?? 0));
  }

  /** A frame from NATS: its envelope, and its body (the envelope bytes, inflated) to write to agents as it is. */
  #decode(error: Error | null, msg: Msg): { envelope: Envelope; body: Uint8Array } | undefined {
    if (error !== null) {
      this.#host.stats.errors++;
      return undefined;
    }
    try {
      const frame = plainBytes(msg.data);
      const envelope = decodeFrame(frame, this.#codec);
      const body = (frame[0]! & FrameFlags.COMPRESSED) === 0 ? frame.subarray(1) : gzip.decompress(frame.subarray(1), this.#codec.maxMessageSize);
      this.#host.stats.bytesReceived += frame.length;
      return { envelope, body };
    } catch {
      this.#host.stats.errors++;
      return undefined;
    }
  }

  /** Publishes a message, or an envelope body as received (one flags byte in front). */
  #publish(subject: string, message: Message | undefined, body?: Uint8Array): void {
    let frame: Uint8Array;
    if (message !== undefined) {
      frame = this.#frame(message);
    } else {
      frame = new Uint8Array(body!.length + 1);
      frame.set(body!, 1);
    }
    this.#batch.add(subject, frame);
    this.#host.stats.bytesSent += frame.length;
  }

  #frame(message: Message): Uint8Array {
    try {
      return encodeFrame(message.envelope, this.#codec);
    } catch (error) {
      throw TransportError.from(error);
    }
  }

  #stamp(message: Message, agentId: string): Message {
    const agent = this.#agents.get(agentId);
    return message.withHeader(EPOCH_HEADER, agent?.epoch ?? "").withHeader(WINDOW_HEADER, String(agent?.window ?? 0));
  }
}

/**
 * What a hub writes to its agents from NATS: messages, end-to-end Control (cancel, interest) and
 * Undeliverable (a NATS agent's full queue). Other Control (credit windows, pauses, compression,
 * directory) belongs to one link and is never routed, from NATS no more than from an agent.
 */
function passesToAgents(envelope: Envelope): boolean {
  return envelope.payload?.$case !== "control" || isEndToEndControl(envelope) || envelope.payload.value.operation?.$case === "undeliverable";
}

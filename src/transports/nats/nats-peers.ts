import type { Envelope } from "../../../generated/swarm/transport/v1/envelope.js";
import { Message } from "../../protocol/message.js";
import { TransportError } from "../../transport/errors.js";
import { isNoResponders, natsError } from "./nats-errors.js";
import type { NatsSubjects } from "./nats-subjects.js";
import { EPOCH_HEADER, Presence, WINDOW_HEADER, type PresenceEvents } from "./presence.js";

/** What a transport's peers need from it. @internal */
export interface NatsPeersIo {
  /** Publishes `message` on `subject` (batched with everything else). */
  out(subject: string, message: Message): void;
  /** A NATS request with `message`; resolves with the reply's envelope, or undefined when it cannot be read. */
  request(subject: string, message: Message): Promise<Envelope | undefined>;
}

/**
 * A NATS transport's view of the other agents: presence (see Presence) spoken on the wire as
 * Hello / Heartbeat / Goodbye stamped with this connection's epoch and receive window, the
 * heartbeat timer, and Lookups (a request on an agent's subject: "no responders" means no such agent).
 * @internal
 */
export class NatsPeers {
  readonly presence: Presence;
  readonly #self: string;
  readonly #window: number;
  readonly #subjects: NatsSubjects;
  readonly #io: NatsPeersIo;
  readonly #instance = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  #connections = 1;
  #seq = 0;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(self: string, window: number, subjects: NatsSubjects, io: NatsPeersIo, events: PresenceEvents, maxPeers: number, timeoutMs: number) {
    this.#self = self;
    this.#window = window;
    this.#subjects = subjects;
    this.#io = io;
    this.presence = new Presence(events, maxPeers, timeoutMs);
  }

  /** Rejects with `AddressInUse` when another live agent answers on this agent's subject. */
  async claim(): Promise<void> {
    const taken = await this.#io.request(this.#subjects.agent(this.#self), this.#lookupMessage(this.#self)).then(
      () => true,
      (error: unknown) => {
        if (isNoResponders(error)) return false;
        throw natsError(error, "ConnectionError", `cannot check whether agent id "${this.#self}" is free`);
      },
    );
    if (taken) throw new TransportError("AddressInUse", `agent id "${this.#self}" is already in use on NATS`, { address: this.#self });
  }

  /** Says Hello and starts heartbeating every `intervalMs` (0: never). */
  start(intervalMs: number): void {
    this.#io.out(this.#subjects.presence, this.#hello());
    if (intervalMs > 0) {
      this.#timer = setInterval(() => {
        this.#io.out(this.#subjects.presence, this.#heartbeat());
        this.presence.sweep();
      }, intervalMs);
    }
  }

  /** After a reconnect: a new epoch (peers learn that what was in flight may be lost), and every peer's clock restarts. */
  reconnected(): void {
    this.#connections++;
    this.presence.refresh();
    this.#io.out(this.#subjects.presence, this.#hello());
  }

  /** Stops heartbeating; `goodbye` says so to the others. */
  stop(goodbye: boolean): void {
    clearInterval(this.#timer);
    this.presence.clear();
    if (goodbye) this.#io.out(this.#subjects.presence, Message.goodbye(this.#self, "closed"));
  }

  /** A message on the presence subject. */
  onPresence(envelope: Envelope): void {
    if (envelope.source === this.#self) return;
    const payload = envelope.payload;
    if (payload?.$case === "heartbeat") return this.heard(envelope);
    if (payload?.$case !== "control") return;
    const operation = payload.value.operation;
    if (operation?.$case === "hello") {
      this.heard(envelope);
      // answer the newcomer directly, so it knows this agent without waiting for a heartbeat
      this.#io.out(this.#subjects.agent(envelope.source), this.#heartbeat());
    } else if (operation?.$case === "goodbye") {
      this.presence.left(envelope.source, operation.value.reason || "closed");
    }
  }

  /** A Hello or Heartbeat from a peer. */
  heard(envelope: Envelope): void {
    this.presence.heard(envelope.source, envelope.headers[EPOCH_HEADER] ?? "", Number(envelope.headers[WINDOW_HEADER] ?? 0));
  }

  /** This agent's answer to a Lookup. */
  lookupResult(): Message {
    return Message.control(this.#self, { operation: { $case: "lookupResult", value: { address: this.#self, found: true, window: this.#window } } });
  }

  /** Looks `to` up: found (with its window, and presence learns it) or not, or the request failed. */
  async lookup(to: string): Promise<{ found: boolean; window: number }> {
    try {
      const reply = await this.#io.request(this.#subjects.agent(to), this.#lookupMessage(to));
      const operation = reply?.payload?.$case === "control" ? reply.payload.value.operation : undefined;
      const window = operation?.$case === "lookupResult" ? operation.value.window : 0;
      this.presence.heard(to, "", window);
      return { found: true, window };
    } catch (error) {
      if (isNoResponders(error)) return { found: false, window: 0 };
      throw natsError(error, "Timeout", `lookup of agent "${to}" failed`);
    }
  }

  #lookupMessage(address: string): Message {
    return Message.control(this.#self, { operation: { $case: "lookup", value: { address } } });
  }

  #stamp(message: Message): Message {
    return message.withHeader(EPOCH_HEADER, `${this.#instance}.${this.#connections}`).withHeader(WINDOW_HEADER, String(this.#window));
  }

  #hello(): Message {
    return this.#stamp(Message.hello(this.#self, { metadata: {} }));
  }

  #heartbeat(): Message {
    return this.#stamp(Message.heartbeat(this.#self, ++this.#seq));
  }
}

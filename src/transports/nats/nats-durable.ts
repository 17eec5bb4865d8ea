import { AckPolicy, DeliverPolicy, DiscardPolicy, jetstream, jetstreamManager, StorageType, type ConsumerMessages, type JetStreamClient, type JetStreamManager, type JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { decodeFrame, encodeFrame, type FrameCodecOptions } from "../../protocol/codec.js";
import { Message } from "../../protocol/message.js";
import { TransportError } from "../../transport/errors.js";
import type { DurableConsumer, DurableEvent, DurableEvents } from "../../transport/native-pubsub.js";
import { natsError, plainBytes } from "./nats-errors.js";
import type { NatsTuning } from "./nats-options.js";
import { encodeToken, type NatsSubjects } from "./nats-subjects.js";

const MS_TO_NANOS = 1_000_000;
/** How long one pull request of a durable consumer waits on the server, in ms. */
const PULL_EXPIRES_MS = 5000;

/**
 * Durable events on JetStream. One stream per swarm, `SWARM_<prefix>`, captures
 * `<prefix>.js.>` within the limits of the config (age, bytes, count: the oldest go first); a
 * durable subscription is a durable pull consumer of it, filtered by its pattern, acknowledging
 * each event once its handler is done. The stream is created (or its limits updated) on first use.
 * @internal
 */
export class NatsDurableEvents implements DurableEvents {
  readonly stream: string;
  readonly #nc: NatsConnection;
  readonly #subjects: NatsSubjects;
  readonly #codec: FrameCodecOptions;
  readonly #tuning: Readonly<NatsTuning>;
  readonly #timeoutMs: number;
  #ready: Promise<{ js: JetStreamClient; jsm: JetStreamManager }> | undefined;
  readonly #reconnectListeners = new Set<() => Promise<void>>();
  #watching = false;

  constructor(nc: NatsConnection, subjects: NatsSubjects, codec: FrameCodecOptions, tuning: Readonly<NatsTuning>, timeoutMs: number) {
    this.#nc = nc;
    this.#subjects = subjects;
    this.#codec = codec;
    this.#tuning = tuning;
    this.#timeoutMs = Math.max(1, timeoutMs);
    this.stream = `SWARM_${subjects.prefix.replaceAll(".", "_")}`;
  }

  async publish(subject: string, message: Message): Promise<void> {
    const { js } = await this.#streamReady();
    const frame = encodeFrame(message.envelope, this.#codec);
    try {
      // the message id lets the stream drop a retried duplicate
      await js.publish(this.#subjects.durable(subject), frame, { msgID: `${message.source}:${message.id}`, timeout: this.#timeoutMs });
    } catch (error) {
      throw natsError(error, "ConnectionError", `durable publish on ${subject} was not stored`);
    }
  }

  async consume(name: string, pattern: string, onEvent: (event: DurableEvent) => Promise<void> | void): Promise<DurableConsumer> {
    const { js, jsm } = await this.#streamReady();
    const durable = encodeToken(name);
    const filter = this.#subjects.durable(pattern);
    const tuning = this.#tuning;
    try {
      const existing = await jsm.consumers.info(this.stream, durable).catch(() => undefined);
      if (existing !== undefined && existing.config.filter_subject !== filter) {
        throw new TransportError("InvalidAddress", `durable subscription "${name}" exists for ${this.#subjects.durableSubject(existing.config.filter_subject ?? "")}, not ${pattern}`, { address: name });
      }
      if (existing === undefined) {
        await jsm.consumers.add(this.stream, {
          durable_name: durable,
          filter_subject: filter,
          ack_policy: AckPolicy.Explicit,
          deliver_policy: DeliverPolicy.New,
          ack_wait: tuning.durableAckWaitMs * MS_TO_NANOS,
          max_ack_pending: tuning.durableMaxAckPending,
          inactive_threshold: tuning.durableInactiveMs * MS_TO_NANOS,
        });
      }
    } catch (error) {
      throw natsError(error, "ConnectionError", `cannot attach durable subscription "${name}"`);
    }
    const consumer = await js.consumers.get(this.stream, durable);
    // a pull expires after PULL_EXPIRES_MS, so a pull left on a server that died is noticed soon
    const options = { max_messages: tuning.durableMaxAckPending, expires: PULL_EXPIRES_MS };
    let messages = await consumer.consume(options);
    const handled = new HandledSet(Math.max(1024, 4 * tuning.durableMaxAckPending));
    let loop = this.#pump(messages, onEvent, handled);
    let stopped = false;
    // after a failover the client's pull may be lost with the server it was on: pull anew
    const unwatch = this.#onReconnect(async () => {
      if (stopped) return;
      const previous = messages;
      try {
        messages = await consumer.consume(options);
      } catch {
        return; // the old pull goes on; its heartbeats tell the client when to pull again
      }
      await previous.close().catch(() => undefined);
      await loop;
      loop = this.#pump(messages, onEvent, handled);
    });
    return {
      stop: async () => {
        stopped = true;
        unwatch();
        await messages.close().catch(() => undefined);
        await loop;
      },
    };
  }

  /** Runs `listener` after every reconnect of the connection; returns a function that stops it. */
  #onReconnect(listener: () => Promise<void>): () => void {
    this.#reconnectListeners.add(listener);
    if (!this.#watching) {
      this.#watching = true;
      void (async () => {
        for await (const status of this.#nc.status()) {
          if (status.type === "reconnect") for (const run of [...this.#reconnectListeners]) void run();
        }
      })();
    }
    return () => this.#reconnectListeners.delete(listener);
  }

  /** Hands the consumer's events over one at a time; what arrives after `stop` goes back (nak) for the next attach. */
  async #pump(messages: ConsumerMessages, onEvent: (event: DurableEvent) => Promise<void> | void, handled: HandledSet): Promise<void> {
    let stopped = false;
    void messages.closed().then(() => (stopped = true));
    for await (const m of messages) {
      if (stopped) {
        m.nak();
        continue;
      }
      // handled here already, but its acknowledgement was lost (a failover): acknowledge again, deliver once
      if (handled.has(m.seq)) {
        m.ack();
        continue;
      }
      let message: Message;
      try {
        message = new Message(decodeFrame(plainBytes(m.data), this.#codec));
      } catch {
        m.term(); // undecodable: never deliverable, do not let it block the consumer
        continue;
      }
      await onEvent(durableEvent(m, this.#subjects.durableSubject(m.subject), message, handled));
    }
  }

  #streamReady(): Promise<{ js: JetStreamClient; jsm: JetStreamManager }> {
    this.#ready ??= this.#ensureStream().catch((error: unknown) => {
      this.#ready = undefined;
      throw natsError(error, "NotAvailable", `JetStream stream ${this.stream} is not available (is JetStream enabled on the server?)`);
    });
    return this.#ready;
  }

  async #ensureStream(): Promise<{ js: JetStreamClient; jsm: JetStreamManager }> {
    const jsm = await jetstreamManager(this.#nc, { timeout: this.#timeoutMs });
    const tuning = this.#tuning;
    const config = {
      name: this.stream,
      subjects: [this.#subjects.durableAll],
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      max_age: tuning.durableMaxAgeMs * MS_TO_NANOS,
      max_bytes: tuning.durableMaxBytes,
      max_msgs: tuning.durableMaxMessages,
      num_replicas: tuning.durableReplicas,
      duplicate_window: Math.min(120_000, tuning.durableMaxAgeMs) * MS_TO_NANOS,
    };
    const info = await jsm.streams.info(this.stream).catch(() => undefined);
    if (info === undefined) await jsm.streams.add(config);
    else await jsm.streams.update(this.stream, config);
    return { js: jetstream(this.#nc, { timeout: this.#timeoutMs }), jsm };
  }
}

/** Stream sequences this consumer handled lately (bounded, oldest forgotten first). */
class HandledSet {
  readonly #seqs = new Set<number>();
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  has(seq: number): boolean {
    return this.#seqs.has(seq);
  }

  add(seq: number): void {
    this.#seqs.add(seq);
    if (this.#seqs.size > this.#max) this.#seqs.delete(this.#seqs.values().next().value!);
  }
}

function durableEvent(m: JsMsg, subject: string, message: Message, handled: HandledSet): DurableEvent {
  let settled = false;
  return {
    subject,
    message,
    ack: () => {
      if (settled) return;
      settled = true;
      handled.add(m.seq);
      m.ack();
    },
    nak: () => {
      if (settled) return;
      settled = true;
      m.nak();
    },
  };
}

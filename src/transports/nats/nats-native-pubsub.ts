import { createInbox, type Msg, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import { decodeFrame, encodeFrame, type FrameCodecOptions } from "../../protocol/codec.js";
import { Message } from "../../protocol/message.js";
import { TransportError } from "../../transport/errors.js";
import { plainBytes } from "./nats-errors.js";
import type { DurableEvents, NativeEvent, NativePubSub, NativeSubscription } from "../../transport/native-pubsub.js";
import type { StatsRecorder } from "../../transport/stats.js";
import type { SendOptions } from "../../transport/transport.js";
import type { NatsSubjects } from "./nats-subjects.js";

/** How native pub/sub publishes through its transport. */
export interface NativeOutlet {
  /** Through the transport's sender: its bounds and reconnect hold. */
  publish(natsSubject: string, message: Message, options: SendOptions | undefined): Promise<void>;
  /** Straight to the transport's batch (replies, requests), in order with everything else. */
  out(natsSubject: string, frame: Uint8Array, reply?: string): void;
}

/**
 * Pub/sub on NATS subjects for `PubSub` (see NativePubSub): our subject `a.b` is the NATS
 * subject `<prefix>.ev.a.b`, a queue group is a NATS queue subscription, and a topic request is
 * a publish with a reply subject on this connection's inbox; the server answers "no responders"
 * when nobody is subscribed. Events are our frames, so any agent can decode them.
 * @internal
 */
export class NatsNativePubSub implements NativePubSub {
  /** JetStream durable events (see NatsDurableEvents). */
  readonly durable: DurableEvents;
  readonly #nc: NatsConnection;
  readonly #subjects: NatsSubjects;
  readonly #codec: FrameCodecOptions;
  readonly #stats: StatsRecorder;
  readonly #outlet: NativeOutlet;
  readonly #subscriptions = new Set<Subscription>();
  readonly #requests = new Map<string, (reply: Message | undefined) => void>();
  readonly #inboxPrefix = createInbox();
  #inbox: Subscription | undefined;
  #nextRequest = 0;

  constructor(nc: NatsConnection, subjects: NatsSubjects, codec: FrameCodecOptions, stats: StatsRecorder, outlet: NativeOutlet, durable: DurableEvents) {
    this.durable = durable;
    this.#nc = nc;
    this.#subjects = subjects;
    this.#codec = codec;
    this.#stats = stats;
    this.#outlet = outlet;
  }

  publish(subject: string, message: Message, options?: SendOptions): Promise<void> {
    return this.#outlet.publish(this.#subjects.event(subject), message, options);
  }

  subscribe(pattern: string, queue: string, onEvent: (event: NativeEvent) => void): NativeSubscription {
    const subscription = this.#nc.subscribe(this.#subjects.event(pattern), {
      ...(queue === "" ? {} : { queue }),
      callback: (error, msg) => {
        if (error !== null) {
          this.#stats.errors++;
          return;
        }
        const message = this.#decode(msg);
        if (message === undefined) return;
        const reply = msg.reply;
        onEvent({ subject: this.#subjects.eventSubject(msg.subject), message, respond: reply === undefined || reply === "" ? undefined : (answer) => this.#respond(reply, answer) });
      },
    });
    this.#subscriptions.add(subscription);
    return {
      unsubscribe: () => {
        if (!this.#subscriptions.delete(subscription)) return;
        subscription.unsubscribe();
      },
    };
  }

  request(subject: string, message: Message, onReply: (reply: Message | undefined) => void): () => void {
    this.#inbox ??= this.#nc.subscribe(`${this.#inboxPrefix}.*`, { callback: (error, msg) => this.#onReply(error, msg) });
    const token = String(++this.#nextRequest);
    this.#requests.set(token, onReply);
    const stop = () => void this.#requests.delete(token);
    let frame: Uint8Array;
    try {
      frame = encodeFrame(message.envelope, this.#codec);
    } catch (error) {
      stop();
      throw TransportError.from(error);
    }
    this.#outlet.out(this.#subjects.event(subject), frame, `${this.#inboxPrefix}.${token}`);
    return stop;
  }

  /** Ends every native subscription (the connection is closing). */
  close(): void {
    for (const subscription of this.#subscriptions) subscription.unsubscribe();
    this.#subscriptions.clear();
    this.#inbox?.unsubscribe();
    this.#requests.clear();
  }

  #respond(reply: string, answer: Message): void {
    try {
      this.#outlet.out(reply, encodeFrame(answer.envelope, this.#codec));
    } catch {
      this.#stats.errors++;
    }
  }

  #onReply(error: Error | null, msg: Msg): void {
    if (error !== null) return void this.#stats.errors++;
    const token = msg.subject.slice(this.#inboxPrefix.length + 1);
    const onReply = this.#requests.get(token);
    if (onReply === undefined) return;
    // the server's "no responders" status: a 503 header and no data
    if (msg.headers?.code === 503) return onReply(undefined);
    const message = this.#decode(msg);
    if (message !== undefined) onReply(message);
  }

  #decode(msg: Msg): Message | undefined {
    try {
      const message = new Message(decodeFrame(plainBytes(msg.data), this.#codec));
      this.#stats.bytesReceived += msg.data.length;
      return message;
    } catch {
      this.#stats.errors++;
      return undefined;
    }
  }
}

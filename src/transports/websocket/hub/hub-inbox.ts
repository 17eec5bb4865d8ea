import type { Message } from "../../../protocol/message.js";
import type { EndpointCore } from "../../../transport/endpoint-core.js";

/** Why the hub's own endpoint did not take a message: the Undeliverable code and reason for its sender. */
export interface Refusal {
  code: "NotAvailable" | "QueueFull";
  reason: string;
}

/**
 * The hub's own receive side, bounded in bytes and read or not queued at all: until the
 * application reads the hub (`receive`, `tryReceive`, iteration, a demux), messages to the hub
 * are refused (the sender gets Undeliverable{NotAvailable}) and broadcasts are not kept for it.
 * Once read, they queue up to `queueCapacity` messages and `queueCapacityBytes` bytes; past
 * that a message to the hub is refused (Undeliverable{QueueFull}) and a broadcast is not kept,
 * so an agent cannot grow the hub's memory by writing to it.
 * @internal
 */
export class HubInbox {
  readonly #core: EndpointCore;
  readonly #hubId: string;
  #reading = false;

  constructor(core: EndpointCore, hubId: string) {
    this.#core = core;
    this.#hubId = hubId;
  }

  /** Whether the application reads the hub's endpoint. */
  get reading(): boolean {
    return this.#reading;
  }

  /** The application reads the hub's endpoint from now on. */
  markReading(): void {
    this.#reading = true;
  }

  /** A message addressed to the hub: queued (undefined), or refused. */
  offer(from: string, message: Message, bytes: number): Refusal | undefined {
    if (!this.#reading) return { code: "NotAvailable", reason: `hub "${this.#hubId}" does not read messages addressed to it` };
    if (this.#core.offer({ from, message }, bytes)) return undefined;
    this.#core.stats.messagesDropped++;
    return { code: "QueueFull", reason: `the receive queue of hub "${this.#hubId}" is full` };
  }

  /** A broadcast, for the hub too: kept only while the hub is read and has room. */
  offerBroadcast(from: string, message: () => Message, bytes: number): void {
    if (!this.#reading) return;
    if (!this.#core.offer({ from, message: message() }, bytes)) this.#core.stats.messagesDropped++;
  }
}

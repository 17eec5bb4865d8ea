import type { EndpointCore } from "../../transport/endpoint-core.js";
import { TransportError } from "../../transport/errors.js";
import type { SendOptions } from "../../transport/transport.js";
import { SendWindows } from "../websocket/credits.js";
import { Outbox, type PendingSend } from "../websocket/outbox.js";
import type { NatsTuning } from "./nats-options.js";
import type { PublishGate } from "./publish-gate.js";

const RESOLVED = Promise.resolve();

/** What the sender needs from its transport. @internal */
export interface NatsSenderIo {
  /** Publishes an encoded frame to agent `to` (undefined: a broadcast, or a native publish the transport knows by its frame). */
  publish(to: string | undefined, frame: Uint8Array): void;
  /** Starts a Lookup of `to`; its answer comes back through `onLookupResult` or `lookupFailed`. */
  lookup(to: string): void;
}

/**
 * A NATS transport's send side, as the WebSocket client's: a send (already encoded, so one that
 * cannot be is refused at once) goes out at once when it may,
 * otherwise waits in a bounded FIFO (the WebSocket client's Outbox) until the connection is
 * up, the publish gate has room and the receiver has credit; an address never seen is looked
 * up first. Nothing polls: credit, lookup answers, confirmations and reconnects call `flush`.
 * @internal
 */
export class NatsSender {
  /** Whether the NATS connection is up (false between a disconnect and the reconnect). */
  connected = true;
  readonly windows = new SendWindows();
  readonly #outbox: Outbox;
  readonly #core: EndpointCore;
  readonly #gate: PublishGate;
  readonly #io: NatsSenderIo;
  readonly #tuning: Readonly<NatsTuning>;
  readonly #sendTimeoutMs: number;
  readonly #servers: string;

  constructor(core: EndpointCore, gate: PublishGate, io: NatsSenderIo, tuning: Readonly<NatsTuning>, sendTimeoutMs: number, servers: string) {
    this.#core = core;
    this.#gate = gate;
    this.#io = io;
    this.#tuning = tuning;
    this.#sendTimeoutMs = sendTimeoutMs;
    this.#servers = servers;
    this.#outbox = new Outbox(tuning.maxBufferedMessages);
  }

  /** Sends waiting. */
  get pending(): number {
    return this.#outbox.size;
  }

  /**
   * Publishes now when nothing waits and everything allows it; otherwise queues behind the rest,
   * for at most `options.timeoutMs` (default `connectionTimeoutMs`) or until `options.signal`.
   */
  submit(to: string | undefined, frame: Uint8Array, options: SendOptions | undefined): Promise<void> {
    if (this.#outbox.size === 0 && this.#canWrite(to)) {
      try {
        this.#write(to, frame);
      } catch (error) {
        return this.#core.fail(TransportError.from(error));
      }
      this.#sent();
      return RESOLVED;
    }
    if (!this.connected && !this.#tuning.bufferWhileDisconnected) {
      return this.#core.fail(new TransportError("ConnectionError", `not connected to NATS at ${this.#servers} (reconnecting)`));
    }
    const queued = this.#outbox.enqueue(to, frame, false, options?.signal, options?.timeoutMs ?? this.#sendTimeoutMs);
    return queued.then(this.#sentAfterWait, this.#failAfterWait);
  }

  /** A Lookup was answered: unblock the sends to `address`, or fail them with InvalidAddress. */
  onLookupResult(address: string, found: boolean, window: number): void {
    if (found) {
      this.windows.found(address, window);
      this.flush();
      return;
    }
    this.lookupFailed(address, new TransportError("InvalidAddress", `no agent "${address}" on NATS at ${this.#servers} (no responders on its subject)`, { address }));
  }

  /** A Lookup of `address` failed with `error`: the sends to it fail with it; the next send looks again. */
  lookupFailed(address: string, error: TransportError): void {
    this.windows.forget(address);
    this.#outbox.failTo(address, error);
    this.flush();
  }

  /** `address` left: sends waiting for it fail; a later send looks it up again. */
  peerGone(address: string, reason: string): void {
    this.windows.forget(address);
    this.#outbox.failTo(address, new TransportError("InvalidAddress", `agent "${address}" is gone (${reason})`, { address }));
    this.flush();
  }

  /** The connection dropped: hold what waits until the reconnect, or fail it. */
  disconnected(error: TransportError): void {
    this.connected = false;
    if (!this.#tuning.bufferWhileDisconnected) this.#core.stats.errors += this.#outbox.failAll(error);
  }

  /** Stops for good: every waiting send rejects with `error`. */
  shutdown(error: TransportError): void {
    this.connected = false;
    this.#core.stats.errors += this.#outbox.failAll(error);
  }

  /** Publishes, in order, what may go now. */
  readonly flush = (): void => {
    this.#outbox.drain(this.#canWritePending, this.#writePending);
  };

  #canWrite(to: string | undefined): boolean {
    if (!this.connected || !this.#gate.hasRoom) return false;
    if (to === undefined) return true;
    const credit = this.windows.credit(to);
    if (credit !== undefined) return credit > 0;
    if (this.windows.startLookup(to)) this.#io.lookup(to);
    return false;
  }

  #write(to: string | undefined, frame: Uint8Array): void {
    this.#io.publish(to, frame);
    if (to !== undefined) this.windows.consume(to);
  }

  readonly #canWritePending = (pending: PendingSend): boolean => this.#canWrite(pending.to);
  readonly #writePending = (pending: PendingSend): void => this.#write(pending.to, pending.body);
  readonly #sentAfterWait = (): void => this.#sent();
  readonly #failAfterWait = (error: TransportError): Promise<never> => this.#core.fail(error);

  #sent(): void {
    this.#core.stats.messagesSent++;
    this.#core.stats.lastActivityMs = Date.now();
  }
}

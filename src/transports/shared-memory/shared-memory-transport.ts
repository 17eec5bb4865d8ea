import { encodeFrame, type FrameCodecOptions } from "../../protocol/codec.js";
import type { Message } from "../../protocol/message.js";
import { resolveConfig, type TransportConfig } from "../../transport/config.js";
import { CoreTransport } from "../../transport/core-transport.js";
import { EndpointCore } from "../../transport/endpoint-core.js";
import { TransportError } from "../../transport/errors.js";
import { SENT } from "../../transport/sent.js";
import type { ReceivedMessage, SendOptions, TransportState } from "../../transport/transport.js";
import { FrameEncoder } from "./frame-encoder.js";
import { BrokenLinkError, InLink } from "./in-link.js";
import { OutLink } from "./out-link.js";
import { PeerDirectory } from "./peer-directory.js";
import { E } from "./segment-layout.js";
import type { SharedMemorySegment } from "./segment.js";
import { AdaptiveSpin, KeepAlive, waitForChange } from "./waker.js";

/** Shared-memory specific settings of `SharedMemoryTransport.attach`. */
export interface SharedMemoryOptions {
  /**
   * How long a receive with nothing to read spins (once the microtasks queued before it have
   * run) before parking on `Atomics.waitAsync`, in µs. Spinning turns a busy peer's answer
   * around in a few µs; parking costs no CPU but a wake-up costs 5–50 µs, so the spin should
   * outlast the peer's wake-up for a
   * request/response pair to settle into spinning. A send waiting for ring space spins as long.
   * It blocks this thread's event loop while it spins. The spin adapts: spins that keep missing
   * shrink to nothing (see AdaptiveSpin). Default 100; 0 never spins.
   */
  spinMicros?: number;
}

const RESOLVED: Promise<void> = Promise.resolve();
/** Microtask hops a receive lets pass before it spins (see #spinWhenIdle). */
const SPIN_AFTER_HOPS = 8;

/**
 * An endpoint on a `SharedMemorySegment`: frames travel through lock-free SPSC rings, one per
 * direction of each pair of endpoints that talk, made on first send. Nothing crosses threads
 * by `postMessage`. Sends to a full ring wait (up to the send's `timeoutMs`, default
 * `connectionTimeoutMs`) in FIFO order;
 * frames larger than a ring record are split and joined transparently up to `maxMessageSize`.
 * When every peer this endpoint has seen has gone (closed, or its worker died) and nothing is
 * left to read, pending and later receives reject with `Closed`.
 */
export class SharedMemoryTransport extends CoreTransport {
  readonly localAddress: string;
  readonly config: Readonly<TransportConfig>;
  readonly segment: SharedMemorySegment;
  readonly #slot: number;
  readonly #entry: Int32Array;
  readonly #codec: FrameCodecOptions;
  readonly #spinMicros: number;
  readonly #spin: AdaptiveSpin;
  protected readonly core: EndpointCore;
  readonly #keepAlive = new KeepAlive();
  readonly #encoder = new FrameEncoder();
  readonly #out = new Map<number, OutLink>();
  readonly #in: InLink[] = [];
  readonly #directory: PeerDirectory;
  #state: TransportState = "open";
  #spinning = false;
  #next = 0;

  private constructor(segment: SharedMemorySegment, address: string, config: Readonly<TransportConfig>, options: SharedMemoryOptions) {
    super();
    this.segment = segment;
    this.localAddress = address;
    this.config = config;
    this.#spinMicros = options.spinMicros ?? 100;
    this.#spin = new AdaptiveSpin(this.#spinMicros);
    this.#codec = { maxMessageSize: config.maxMessageSize, enableCompression: false, compressionThreshold: config.compressionThreshold };
    this.#slot = segment.claim(address, config.queueCapacity);
    this.#entry = segment.entry(this.#slot);
    this.core = new EndpointCore(config, `transport "${address}"`, {
      pull: () => this.#pull(),
      waitStarted: (first) => this.#waitStarted(first),
      waitEnded: () => this.#waitEnded(),
      idleError: () => (this.#state !== "open" || this.#isAlone() ? this.#closedError() : undefined),
    });
    this.#directory = new PeerDirectory(segment, this.#slot, {
      peerLeft: (slot, address, reason) => this.#peerLeft(slot, address, reason),
      incoming: (slot, from, ring) => this.#in.push(new InLink(slot, from, ring, this.#codec)),
      error: (error) => this.core.fault(error),
    });
    this.#directory.scan();
    void this.#run();
  }

  /**
   * Attaches endpoint `address` to `segment` (made here or opened from a handle in a worker).
   * Rejects with `InvalidAddress`, `AddressInUse`, `ConnectionError` (no free slot) or `Closed`.
   */
  static async attach(
    segment: SharedMemorySegment,
    address: string,
    config?: Partial<TransportConfig>,
    options: SharedMemoryOptions = {},
  ): Promise<SharedMemoryTransport> {
    return new SharedMemoryTransport(segment, address, resolveConfig(config), options);
  }

  get state(): TransportState {
    return this.#state;
  }

  send(to: string, message: Message, options?: SendOptions): Promise<void> {
    if (this.#state !== "open") return this.core.fail(TransportError.closed(`transport "${this.localAddress}"`));
    const slot = this.#directory.resolve(to);
    if (slot < 0) return this.core.fail(new TransportError("InvalidAddress", `no endpoint "${to}" is attached to segment "${this.segment.name}"`, { address: to }));
    return this.#sendTo(slot, message, options);
  }

  broadcast(message: Message, options?: SendOptions): Promise<void> {
    if (this.#state !== "open") return this.core.fail(TransportError.closed(`transport "${this.localAddress}"`));
    this.#scanIfChanged();
    const sends: Promise<void>[] = [];
    for (const slot of this.#directory.peers.keys()) sends.push(this.#sendTo(slot, message, options));
    return Promise.all(sends).then(() => undefined);
  }

  isConnected(): boolean {
    return this.#state === "open" && !this.#isAlone();
  }

  close(): Promise<void> {
    if (this.#state !== "open") return RESOLVED;
    this.#state = "closed";
    const error = TransportError.closed(`transport "${this.localAddress}"`);
    for (const link of this.#out.values()) link.fail(error);
    // Leave the directory first (waking our own loop and every peer), so a writer blocked on a
    // ring to us sees we are gone before the space we free below.
    this.segment.release(this.#slot);
    for (const link of this.#in) this.core.stats.messagesDropped += link.discard();
    this.core.close();
    this.#keepAlive.clear();
    return RESOLVED;
  }

  /**
   * A receive is waiting: look for data now, or spin for it, or have writers ring the doorbell.
   * SLEEPING sits on a line the peer reads on every send, so it is written only when it must
   * change: a receive about to spin leaves it at 0 (the spin sets it on its way out and looks
   * again), and a spin that sees data hands it over without touching it at all.
   */
  #waitStarted(first: boolean): void {
    if (first) this.#keepAlive.hold();
    if (this.#spinMicros > 0 && !this.#spinning) {
      void this.#spinWhenIdle();
      return;
    }
    // Writers ring the doorbell only while SLEEPING is 1: the rings are re-checked after this.
    if (first) this.#setSleeping(1);
    if (this.#hasData()) queueMicrotask(this.#deliver); // written before SLEEPING was set
  }

  #waitEnded(): void {
    this.#keepAlive.release();
    this.#setSleeping(0);
  }

  #setSleeping(value: 0 | 1): void {
    if (Atomics.load(this.#entry, E.SLEEPING) !== value) Atomics.store(this.#entry, E.SLEEPING, value);
  }

  /**
   * Spins for data once the microtasks queued so far have run — the caller's own continuations,
   * which may be what sends the request this receive waits to see answered (an RPC dispatcher
   * calls receive() before its caller sends). Spinning inside receive() itself would hold them up.
   */
  async #spinWhenIdle(): Promise<void> {
    this.#spinning = true;
    try {
      for (let hop = 0; hop < SPIN_AFTER_HOPS; hop++) await undefined;
      if (this.core.waiting === 0 || this.#state !== "open") return;
      let hit = false;
      if (this.#in.length > 0) {
        this.#setSleeping(0); // polling: writers need not ring the doorbell
        hit = this.#spin.spin(this.#hasData);
      }
      if (hit) this.#deliver();
      if (this.core.waiting === 0) return;
      // Still waiting: writers must ring from now on; re-checked after SLEEPING is set, so a
      // record written meanwhile is never missed.
      this.#setSleeping(1);
      if (this.#hasData()) this.#deliver();
    } finally {
      this.#spinning = false;
    }
  }

  /** Reads one message from the rings (round robin), for the core. */
  #pull(): ReceivedMessage | undefined {
    this.#scanIfChanged();
    const links = this.#in;
    const count = links.length;
    for (let i = 0; i < count; i++) {
      const link = links[(this.#next + i) % count]!;
      let message: Message | undefined;
      try {
        message = link.read();
      } catch (error) {
        this.#onReadError(link, error);
        return undefined;
      }
      if (message === undefined) continue;
      this.#next = (this.#next + i + 1) % count;
      return { from: link.from, message };
    }
    return undefined;
  }

  #sendTo(slot: number, message: Message, options: SendOptions | undefined): Promise<void> {
    let frame: Uint8Array;
    let link: OutLink;
    const stats = this.core.stats;
    try {
      link = this.#out.get(slot) ?? this.#openLink(slot);
      const pieces = this.#encoder.encode(message.envelope);
      if (pieces === undefined) {
        frame = encodeFrame(message.envelope, this.#codec);
        if (link.trySendNow(frame)) return this.#sent(frame.length);
      } else {
        const max = this.config.maxMessageSize;
        if (pieces.length - 1 > max) throw TransportError.tooLarge(pieces.length - 1, max);
        if (link.trySendPiecesNow(pieces)) return this.#sent(pieces.length);
        frame = FrameEncoder.join(pieces); // the encoder's scratch is reused by the next send
      }
    } catch (error) {
      return this.core.fail(TransportError.from(error));
    }
    return link.enqueue(frame, options?.timeoutMs ?? this.config.connectionTimeoutMs, this.config.queueCapacity, options?.signal).then(
      () => {
        stats.messagesSent++;
        stats.bytesSent += frame.length;
        stats.lastActivityMs = Date.now();
      },
      (error: TransportError) => {
        stats.errors++;
        throw error;
      },
    );
  }

  #sent(bytes: number): Promise<void> {
    const stats = this.core.stats;
    stats.messagesSent++;
    stats.bytesSent += bytes;
    stats.lastActivityMs = Date.now();
    return SENT;
  }

  #openLink(slot: number): OutLink {
    const link = new OutLink(this.segment.ensureRing(this.#slot, slot), this.segment.entry(slot), this.segment.addressOf(slot), this.#keepAlive, this.#spinMicros);
    this.#out.set(slot, link);
    return link;
  }

  /** The receive loop: delivers to waiting receivers, watches the directory, parks when idle. */
  async #run(): Promise<void> {
    const entry = this.#entry;
    while (this.#state === "open") {
      this.#deliver();
      if (this.#state !== "open") break;
      const doorbell = Atomics.load(entry, E.DOORBELL);
      if (this.core.waiting > 0) {
        Atomics.store(entry, E.SLEEPING, 1);
        if (this.#hasData()) continue;
      }
      if (this.#directory.changed) continue;
      await waitForChange(entry, E.DOORBELL, doorbell);
    }
  }

  /** Hands what the rings hold to the waiting receives (and fails them when every peer has gone). */
  readonly #deliver = (): void => {
    this.#scanIfChanged();
    const core = this.core;
    while (core.waiting > 0) {
      const received = this.#pull();
      if (received === undefined) break;
      core.deliver(received.from, received.message);
    }
    if (core.waiting > 0 && this.#isAlone()) core.failWaiting(this.#closedError());
  };

  readonly #hasData = (): boolean => {
    for (const link of this.#in) if (link.ring.hasData()) return true;
    return false;
  };

  #scanIfChanged(): void {
    if (!this.#directory.changed) return;
    if (this.segment.isClosed) {
      if (this.#state === "open") void this.close();
      return;
    }
    this.#directory.scan();
  }

  #peerLeft(slot: number, address: string, reason: string): void {
    this.#out.get(slot)?.fail(new TransportError("Closed", `peer "${address}" ${reason}`));
    this.#out.delete(slot);
    this.core.peerGone(address, reason);
  }

  #onReadError(link: InLink, error: unknown): void {
    if (error instanceof BrokenLinkError) {
      // The ring cannot be trusted any more: stop reading it and treat its writer as gone.
      this.#in.splice(this.#in.indexOf(link), 1);
      this.core.fault(error.error);
      this.#directory.forget(link.peerSlot, `sent a corrupt ring (${error.error.message})`);
      return;
    }
    this.core.fault(TransportError.from(error));
  }

  #isAlone(): boolean {
    return this.#directory.alone && !this.#hasData();
  }

  #closedError(): TransportError {
    return this.#state === "open"
      ? new TransportError("Closed", `every peer of "${this.localAddress}" has gone`)
      : TransportError.closed(`transport "${this.localAddress}"`);
  }
}

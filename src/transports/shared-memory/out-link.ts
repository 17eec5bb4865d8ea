import { TransportError } from "../../transport/errors.js";
import type { FramePieces } from "./frame-encoder.js";
import { RecordKind } from "./ring-math.js";
import { SpscRing } from "./ring.js";
import { E, EndpointState } from "./segment-layout.js";
import { AdaptiveSpin, bumpAndNotify, KeepAlive, waitForChange } from "./waker.js";

interface PendingSend {
  frame: Uint8Array;
  /** Bytes of `frame` already in the ring (chunked frames go in over several records). */
  written: number;
  resolve(): void;
  reject(error: TransportError): void;
  cleanup(): void;
}

/**
 * The writing end of one link (this endpoint → one peer): frames go straight into the ring
 * when it has room and nothing waits ahead; otherwise they queue (at most `maxWaiting`) and a
 * drain loop writes them in order as the reader frees space. A frame larger than one record is
 * written as FIRST (with the frame length), MIDDLE…, LAST chunks; a chunked frame abandoned
 * half-way (timeout, abort) is followed by a CANCEL record so the reader drops the pieces.
 * Frames in flight are bounded by the reader's `queueCapacity` as well as by the ring's bytes.
 */
export class OutLink {
  readonly peerAddress: string;
  readonly ring: SpscRing;
  readonly #peerEntry: Int32Array;
  readonly #peerCapacity: number;
  readonly #keepAlive: KeepAlive;
  readonly #spin: AdaptiveSpin;
  #framesWritten = 0;
  /** The reader's frame count as last read; read again only when it shows no room (see #hasFrameRoom). */
  #framesReadSeen = 0;
  #queue: PendingSend[] = [];
  #needCancel = false;
  #draining = false;
  #closedError: TransportError | undefined;

  constructor(ring: SpscRing, peerEntry: Int32Array, peerAddress: string, keepAlive: KeepAlive, spinMicros: number) {
    this.#spin = new AdaptiveSpin(spinMicros);
    this.ring = ring;
    this.peerAddress = peerAddress;
    this.#peerEntry = peerEntry;
    this.#peerCapacity = Math.max(1, peerEntry[E.QUEUE_CAPACITY]! | 0);
    this.#keepAlive = keepAlive;
  }

  /** Sends waiting for room. */
  get waiting(): number {
    return this.#queue.length;
  }

  /** Writes `frame` now if it fits in one record, nothing waits ahead and there is room. */
  trySendNow(frame: Uint8Array): boolean {
    if (this.#queue.length !== 0 || this.#needCancel || frame.length > this.ring.maxPayload || !this.#hasFrameRoom()) return false;
    if (!this.ring.tryWrite(RecordKind.FULL, frame, 0, frame.length)) return false;
    this.#framesWritten++;
    this.#wakePeer();
    return true;
  }

  /** As `trySendNow`, for a frame in pieces (see FrameEncoder). */
  trySendPiecesNow(pieces: FramePieces): boolean {
    if (this.#queue.length !== 0 || this.#needCancel || pieces.length > this.ring.maxPayload || !this.#hasFrameRoom()) return false;
    if (!this.ring.tryWriteParts(RecordKind.FULL, pieces.head, pieces.body, pieces.tail)) return false;
    this.#framesWritten++;
    this.#wakePeer();
    return true;
  }

  /**
   * Queues `frame` behind earlier ones. Resolves once all of it is in the ring; rejects with
   * `Timeout` after `timeoutMs` (Infinity: never), `Aborted` on `signal`, `QueueFull` beyond `maxWaiting`
   * queued sends, or the error `fail()` is given.
   */
  enqueue(frame: Uint8Array, timeoutMs: number, maxWaiting: number, signal: AbortSignal | undefined): Promise<void> {
    if (this.#closedError !== undefined) return Promise.reject(this.#closedError);
    if (signal?.aborted) return Promise.reject(new TransportError("Aborted", "send aborted", {}, { cause: signal.reason }));
    if (this.#queue.length >= maxWaiting) {
      return Promise.reject(new TransportError("QueueFull", `${maxWaiting} sends already wait for ring space to "${this.peerAddress}"`));
    }
    return new Promise<void>((resolve, reject) => {
      const leave = (error: TransportError) => {
        const index = this.#queue.indexOf(pending);
        if (index < 0) return;
        this.#queue.splice(index, 1);
        if (pending.written > 0) this.#needCancel = true;
        pending.cleanup();
        reject(error);
        this.ring.wakeWriter(); // lets the drain loop notice
      };
      const onAbort = () => leave(new TransportError("Aborted", "send aborted", {}, { cause: signal!.reason }));
      const timer = Number.isFinite(timeoutMs)
        ? setTimeout(() => leave(new TransportError("Timeout", `ring to "${this.peerAddress}" stayed full for ${timeoutMs} ms`)), timeoutMs)
        : undefined;
      signal?.addEventListener("abort", onAbort, { once: true });
      const pending: PendingSend = {
        frame,
        written: 0,
        resolve,
        reject,
        cleanup() {
          clearTimeout(timer);
          signal?.removeEventListener("abort", onAbort);
        },
      };
      this.#queue.push(pending);
      void this.#drain();
    });
  }

  /** Rejects every queued send with `error` and refuses later ones. */
  fail(error: TransportError): void {
    if (this.#closedError !== undefined) return;
    this.#closedError = error;
    for (const pending of this.#queue.splice(0)) {
      pending.cleanup();
      pending.reject(error);
    }
    this.ring.wakeWriter();
  }

  async #drain(): Promise<void> {
    if (this.#draining) return;
    this.#draining = true;
    this.#keepAlive.hold();
    try {
      while (this.#queue.length > 0 && this.#closedError === undefined) {
        const state = Atomics.load(this.#peerEntry, E.STATE);
        if (state !== EndpointState.ATTACHED) {
          this.fail(new TransportError("Closed", `peer "${this.peerAddress}" ${state === EndpointState.DEAD ? "its thread died" : "closed"}`));
          break;
        }
        if (this.#flush()) continue;
        // A busy reader frees space within microseconds: spin briefly before parking.
        if (this.#spin.spin(this.#canWriteHead) && this.#flush()) continue;
        const seq = this.ring.prepareWaitForSpace();
        if (this.#flush()) continue;
        await waitForChange(this.ring.control, SpscRing.SPACE_SEQ, seq);
      }
    } catch (error) {
      this.fail(TransportError.from(error, "ConnectionError"));
    } finally {
      this.#draining = false;
      this.#keepAlive.release();
    }
  }

  /** Writes as much of the queue as fits; true if anything was written. */
  #flush(): boolean {
    let progress = false;
    const ring = this.ring;
    if (this.#needCancel) {
      if (!ring.tryWriteEmpty(RecordKind.CANCEL)) return false;
      this.#needCancel = false;
      progress = true;
    }
    while (this.#queue.length > 0) {
      const pending = this.#queue[0]!;
      const { frame } = pending;
      if (pending.written === 0) {
        if (!this.#hasFrameRoom()) break;
        if (frame.length <= ring.maxPayload) {
          if (!ring.tryWrite(RecordKind.FULL, frame, 0, frame.length)) break;
          pending.written = frame.length;
        } else {
          const end = ring.maxPayload - 4;
          if (!ring.tryWrite(RecordKind.FIRST, frame, 0, end, frame.length)) break;
          pending.written = end;
        }
      } else {
        const end = Math.min(frame.length, pending.written + ring.maxPayload);
        const kind = end === frame.length ? RecordKind.LAST : RecordKind.MIDDLE;
        if (!ring.tryWrite(kind, frame, pending.written, end)) break;
        pending.written = end;
      }
      progress = true;
      this.#wakePeer();
      if (pending.written === frame.length) {
        this.#framesWritten++;
        this.#queue.shift();
        pending.cleanup();
        pending.resolve();
      }
    }
    return progress;
  }

  readonly #canWriteHead = (): boolean => {
    const pending = this.#queue[0];
    if (pending === undefined || this.#needCancel) return true;
    return (pending.written > 0 || this.#hasFrameRoom()) && this.ring.hasRoomFor(pending.frame.length - pending.written + 4);
  };

  #hasFrameRoom(): boolean {
    // The count only grows, so an old value only understates the room: the reader's line is
    // fetched from its core only when the count last seen says the peer's queue is full.
    if (((this.#framesWritten - this.#framesReadSeen) >>> 0) < this.#peerCapacity) return true;
    this.#framesReadSeen = this.ring.readCount();
    return ((this.#framesWritten - this.#framesReadSeen) >>> 0) < this.#peerCapacity;
  }

  #wakePeer(): void {
    const entry = this.#peerEntry;
    if (Atomics.load(entry, E.SLEEPING) === 1 && Atomics.compareExchange(entry, E.SLEEPING, 1, 0) === 1) bumpAndNotify(entry, E.DOORBELL);
  }
}

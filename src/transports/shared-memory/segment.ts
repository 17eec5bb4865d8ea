import { TransportError } from "../../transport/errors.js";
import { isValidCapacity } from "./ring-math.js";
import { SpscRing } from "./ring.js";
import { computeLayout, E, ENTRY_BYTES, EndpointState, H, LAYOUT_VERSION, MAX_ADDRESS_BYTES, SEGMENT_MAGIC, type SegmentLayout } from "./segment-layout.js";

/** Options of `SharedMemorySegment.create`. */
export interface SharedMemorySegmentOptions {
  /** A name for messages and diagnostics, e.g. "neural_swarm_shared". */
  name: string;
  /** Bytes of shared memory in all, rings included. */
  size: number;
  /** Bytes of each ring (one per direction per pair of endpoints that talk); a multiple of 8, >= 64. */
  ringBufferSize: number;
  /** Endpoints that may attach over the segment's life (slots are not reused). Default 16. */
  maxEndpoints?: number;
}

/** What a worker needs to open the segment: structured-cloneable (postMessage, workerData). */
export interface SharedMemorySegmentHandle {
  readonly kind: "swarm-transport/shared-memory-segment";
  readonly name: string;
  readonly buffer: SharedArrayBuffer;
  /** Identifies the thread the handle is for, so a supervisor can reap its endpoints if it dies. */
  readonly ownerId: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * A SharedArrayBuffer laid out as a directory of endpoints plus lock-free SPSC rings, one per
 * direction of each pair of endpoints that talk. Create it on one thread, pass `handle()` to
 * each worker, and `SharedMemorySegment.open(handle)` there. Needs `SharedArrayBuffer`: in a
 * browser the page must be cross-origin isolated (COOP/COEP headers).
 */
export class SharedMemorySegment {
  readonly name: string;
  readonly buffer: SharedArrayBuffer;
  /** Owner id of endpoints attached through this object. */
  readonly ownerId: number;
  /** @internal */
  readonly layout: SegmentLayout;
  /** @internal */
  readonly header: Int32Array;
  readonly #entries: Int32Array[] = [];

  private constructor(name: string, buffer: SharedArrayBuffer, ownerId: number, layout: SegmentLayout) {
    this.name = name;
    this.buffer = buffer;
    this.ownerId = ownerId;
    this.layout = layout;
    this.header = new Int32Array(buffer, 0, 64);
  }

  /** A new segment. Throws `NotAvailable` without SharedArrayBuffer, RangeError for bad sizes. */
  static create(options: SharedMemorySegmentOptions): SharedMemorySegment {
    requireSharedMemory();
    const maxEndpoints = options.maxEndpoints ?? 16;
    if (!isValidCapacity(options.ringBufferSize)) {
      throw new RangeError(`ringBufferSize must be a multiple of 8 in [64, 2^30], got ${options.ringBufferSize}`);
    }
    if (!Number.isInteger(maxEndpoints) || maxEndpoints < 2 || maxEndpoints > 1024) {
      throw new RangeError(`maxEndpoints must be an integer in [2, 1024], got ${maxEndpoints}`);
    }
    if (!Number.isSafeInteger(options.size) || options.size > 2 ** 31 - 1) throw new RangeError(`size must be an integer < 2 GiB, got ${options.size}`);
    const layout = computeLayout(options.size, options.ringBufferSize, maxEndpoints);
    if (layout.ringSlots < 2) {
      throw new RangeError(`size ${options.size} holds ${layout.ringSlots} ring(s) of ${options.ringBufferSize} bytes; at least 2 are needed (one per direction)`);
    }
    const buffer = new SharedArrayBuffer(options.size);
    const header = new Int32Array(buffer, 0, 64);
    header[H.VERSION] = LAYOUT_VERSION;
    header[H.SIZE] = options.size;
    header[H.RING_CAPACITY] = options.ringBufferSize;
    header[H.MAX_ENDPOINTS] = maxEndpoints;
    header[H.RING_SLOTS] = layout.ringSlots;
    header[H.NEXT_OWNER] = 1;
    Atomics.store(header, H.MAGIC, SEGMENT_MAGIC);
    return new SharedMemorySegment(options.name, buffer, 0, layout);
  }

  /** Opens a segment from a `handle()` made on another thread. Throws `ConnectionError` for a handle that is not one. */
  static open(handle: SharedMemorySegmentHandle): SharedMemorySegment {
    requireSharedMemory();
    const buffer = handle?.buffer;
    if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength < 256) {
      throw new TransportError("ConnectionError", "not a shared-memory segment handle (no SharedArrayBuffer)");
    }
    const header = new Int32Array(buffer, 0, 64);
    if (Atomics.load(header, H.MAGIC) !== SEGMENT_MAGIC || header[H.VERSION] !== LAYOUT_VERSION) {
      throw new TransportError("ConnectionError", `buffer is not a layout-${LAYOUT_VERSION} shared-memory segment`);
    }
    const layout = computeLayout(header[H.SIZE]!, header[H.RING_CAPACITY]!, header[H.MAX_ENDPOINTS]!);
    if (layout.size !== buffer.byteLength || !isValidCapacity(layout.ringCapacity) || layout.ringSlots !== header[H.RING_SLOTS]) {
      throw new TransportError("ConnectionError", "shared-memory segment header does not match its buffer");
    }
    return new SharedMemorySegment(String(handle.name), buffer, handle.ownerId | 0, layout);
  }

  /** Bytes of each ring. */
  get ringBufferSize(): number {
    return this.layout.ringCapacity;
  }

  /** A handle for one worker; each call gets its own owner id (see `reapOwner`). */
  handle(): SharedMemorySegmentHandle {
    const ownerId = Atomics.add(this.header, H.NEXT_OWNER, 1);
    return { kind: "swarm-transport/shared-memory-segment", name: this.name, buffer: this.buffer, ownerId };
  }

  /**
   * Marks every endpoint attached through a handle with `ownerId` as dead and wakes everyone,
   * so peers fail their pending work at once. A supervisor calls it when a worker exits.
   */
  reapOwner(ownerId: number): number {
    // A thread terminated inside a directory change leaves the lock held: it is freed with it.
    Atomics.compareExchange(this.header, H.DIRECTORY_LOCK, lockWord(ownerId), 0);
    let reaped = 0;
    for (let slot = 0; slot < this.layout.maxEndpoints; slot++) {
      const entry = this.entry(slot);
      if (entry[E.OWNER] !== ownerId) continue;
      // lock-free: one atomic step per entry, so reaping never waits for (or on) the lock
      if (Atomics.compareExchange(entry, E.STATE, EndpointState.ATTACHED, EndpointState.DEAD) === EndpointState.ATTACHED) reaped++;
      else if (Atomics.compareExchange(entry, E.STATE, EndpointState.CLAIMING, EndpointState.DEAD) === EndpointState.CLAIMING) reaped++;
    }
    if (reaped > 0) {
      for (let slot = 0; slot < this.layout.maxEndpoints; slot++) if (this.stateOf(slot) === EndpointState.DEAD) this.#wakeWritersInto(slot);
      this.announce();
    }
    return reaped;
  }

  /** Whether `close()` was called on any thread. */
  get isClosed(): boolean {
    return Atomics.load(this.header, H.CLOSED) !== 0;
  }

  /** Closes every endpoint on the segment, on every thread. */
  close(): void {
    if (Atomics.exchange(this.header, H.CLOSED, 1) === 0) this.announce();
  }

  // ---- internals used by SharedMemoryTransport ------------------------------------------------

  /** Directory entry `slot` as int32 words. @internal */
  entry(slot: number): Int32Array {
    return (this.#entries[slot] ??= new Int32Array(this.buffer, this.layout.directoryOffset + slot * ENTRY_BYTES, ENTRY_BYTES / 4));
  }

  /** Takes a directory slot for `address`. Throws InvalidAddress, AddressInUse or ConnectionError. @internal */
  claim(address: string, queueCapacity: number): number {
    const bytes = encoder.encode(address);
    if (address.length === 0 || bytes.length > MAX_ADDRESS_BYTES) {
      throw new TransportError("InvalidAddress", `a shared-memory address must be 1..${MAX_ADDRESS_BYTES} UTF-8 bytes`, { address });
    }
    if (this.isClosed) throw TransportError.closed(`shared-memory segment "${this.name}"`);
    const slot = this.#withDirectoryLock(() => {
      if (this.find(address) >= 0) throw new TransportError("AddressInUse", `"${address}" is already attached to segment "${this.name}"`, { address });
      for (let slot = 0; slot < this.layout.maxEndpoints; slot++) {
        const entry = this.entry(slot);
        if (Atomics.load(entry, E.STATE) !== EndpointState.FREE) continue;
        entry[E.OWNER] = this.ownerId;
        entry[E.QUEUE_CAPACITY] = queueCapacity;
        entry[E.ADDRESS_LENGTH] = bytes.length;
        new Uint8Array(entry.buffer, entry.byteOffset + E.ADDRESS * 4, MAX_ADDRESS_BYTES).set(bytes);
        Atomics.store(entry, E.STATE, EndpointState.ATTACHED);
        return slot;
      }
      throw new TransportError("ConnectionError", `segment "${this.name}" has no free endpoint slot (maxEndpoints ${this.layout.maxEndpoints})`);
    });
    this.announce();
    return slot;
  }

  /** Slot of the attached endpoint named `address`, or -1. @internal */
  find(address: string): number {
    for (let slot = 0; slot < this.layout.maxEndpoints; slot++) {
      if (Atomics.load(this.entry(slot), E.STATE) === EndpointState.ATTACHED && this.addressOf(slot) === address) return slot;
    }
    return -1;
  }

  /** The address in `slot` (bounded even if the entry is corrupt). @internal */
  addressOf(slot: number): string {
    const entry = this.entry(slot);
    const length = Math.min(Math.max(entry[E.ADDRESS_LENGTH]!, 0), MAX_ADDRESS_BYTES);
    return decoder.decode(new Uint8Array(entry.buffer, entry.byteOffset + E.ADDRESS * 4, length).slice());
  }

  /** State of `slot`. @internal */
  stateOf(slot: number): number {
    return Atomics.load(this.entry(slot), E.STATE);
  }

  /** Marks `slot` closed (one atomic step: closing never waits for the directory lock). @internal */
  release(slot: number): void {
    Atomics.compareExchange(this.entry(slot), E.STATE, EndpointState.ATTACHED, EndpointState.CLOSED);
    this.#wakeWritersInto(slot);
    this.announce();
  }

  /** The ring of link from→to, if made. Throws SerializationError for a corrupt link entry. @internal */
  ring(from: number, to: number): SpscRing | undefined {
    const index = Atomics.load(this.#links(), from * this.layout.maxEndpoints + to);
    if (index <= 0) return undefined;
    if (index > this.layout.ringSlots) throw new TransportError("SerializationError", `link table entry ${index} is out of range`);
    return this.#ringAt(index - 1, from, to);
  }

  /** The ring of link from→to, made now if needed (by its writer only). Throws ConnectionError when no ring slot is left. @internal */
  ensureRing(from: number, to: number): SpscRing {
    const existing = this.ring(from, to);
    if (existing !== undefined) return existing;
    const links = this.#links();
    const cell = from * this.layout.maxEndpoints + to;
    const index = Atomics.add(this.header, H.NEXT_RING, 1);
    if (index >= this.layout.ringSlots) {
      Atomics.sub(this.header, H.NEXT_RING, 1);
      throw new TransportError(
        "ConnectionError",
        `segment "${this.name}" has no room for another ring (${this.layout.ringSlots} of ${this.layout.ringCapacity} bytes); make it larger or the rings smaller`,
      );
    }
    Atomics.store(links, cell, index + 1);
    this.announce();
    return this.#ringAt(index, from, to);
  }

  /** Bumps the directory sequence and rings every live endpoint's doorbell. @internal */
  announce(): void {
    Atomics.add(this.header, H.DIRECTORY_SEQ, 1);
    for (let slot = 0; slot < this.layout.maxEndpoints; slot++) {
      const entry = this.entry(slot);
      if (Atomics.load(entry, E.STATE) === EndpointState.FREE) break;
      Atomics.add(entry, E.DOORBELL, 1);
      Atomics.notify(entry, E.DOORBELL);
    }
  }

  /** Wakes writers blocked on a full ring into `slot`, so they see its reader is gone. */
  #wakeWritersInto(slot: number): void {
    for (let from = 0; from < this.layout.maxEndpoints; from++) {
      try {
        this.ring(from, slot)?.wakeWriter();
      } catch {
        // a corrupt link entry: nobody can be waiting on it
      }
    }
  }

  #ringAt(index: number, from: number, to: number): SpscRing {
    const offset = this.layout.ringsOffset + index * this.layout.ringStride;
    return new SpscRing(this.buffer, offset, this.layout.ringCapacity, `ring ${from}→${to} of segment "${this.name}"`);
  }

  #links(): Int32Array {
    const n = this.layout.maxEndpoints;
    return new Int32Array(this.buffer, this.layout.linkTableOffset, n * n);
  }

  /**
   * Runs `body` holding the directory lock (only `claim` needs it: find-then-take must not race
   * another claim). Directory changes are rare and short, so it is a spin lock; the data path
   * never takes it. The lock word holds the holder's owner id + 1, so reaping a dead thread
   * frees a lock it held; a holder that stays stuck makes this throw `ConnectionError` after
   * DIRECTORY_LOCK_TIMEOUT_MS instead of spinning (and blocking this thread) forever.
   */
  #withDirectoryLock<T>(body: () => T): T {
    const header = this.header;
    const mine = lockWord(this.ownerId);
    let since = 0;
    for (let spins = 1; Atomics.compareExchange(header, H.DIRECTORY_LOCK, 0, mine) !== 0; spins++) {
      if ((spins & 1023) !== 0) continue;
      const now = performance.now();
      if (since === 0) since = now;
      else if (now - since > DIRECTORY_LOCK_TIMEOUT_MS) {
        const holder = Atomics.load(header, H.DIRECTORY_LOCK) - 1;
        throw new TransportError(
          "ConnectionError",
          `the directory lock of segment "${this.name}" has been held by owner ${holder} for over ${DIRECTORY_LOCK_TIMEOUT_MS} ms (its thread is stuck, or died without being reaped)`,
        );
      }
    }
    try {
      return body();
    } finally {
      Atomics.compareExchange(header, H.DIRECTORY_LOCK, mine, 0);
    }
  }
}

/** How long a directory change waits for the lock before giving up. */
const DIRECTORY_LOCK_TIMEOUT_MS = 1000;

/** The directory lock word of a holder with `ownerId` (0 is "free"). */
function lockWord(ownerId: number): number {
  return ownerId + 1;
}

function requireSharedMemory(): void {
  if (typeof SharedArrayBuffer === "undefined") {
    const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
    throw new TransportError(
      "NotAvailable",
      isolated === false
        ? "SharedArrayBuffer is unavailable because the page is not cross-origin isolated (serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)"
        : "SharedArrayBuffer is unavailable in this environment",
    );
  }
}

import type { TransportError } from "../../transport/errors.js";
import type { SpscRing } from "./ring.js";
import { EndpointState, H } from "./segment-layout.js";
import type { SharedMemorySegment } from "./segment.js";

/** What a directory scan tells its endpoint. */
export interface PeerDirectoryEvents {
  /** A peer this endpoint knew left (closed, died, or broke its ring). */
  peerLeft(slot: number, address: string, reason: string): void;
  /** A peer made a ring to this endpoint. */
  incoming(slot: number, from: string, ring: SpscRing): void;
  /** A link-table entry is corrupt. */
  error(error: TransportError): void;
}

/**
 * One endpoint's view of the segment directory: which peers are attached, which rings lead to
 * it, and who left. Rescans only when the segment's directory sequence moved (one atomic load
 * per check), so it costs nothing on the data path.
 */
export class PeerDirectory {
  /** Attached peers this endpoint has seen, by slot. */
  readonly peers = new Map<number, string>();
  readonly #segment: SharedMemorySegment;
  readonly #slot: number;
  readonly #events: PeerDirectoryEvents;
  readonly #addresses = new Map<string, number>();
  /** Slots whose ring to us is known (or was dropped as corrupt: never read again). */
  readonly #linked = new Set<number>();
  #seq = -1;
  #hadPeer = false;

  constructor(segment: SharedMemorySegment, slot: number, events: PeerDirectoryEvents) {
    this.#segment = segment;
    this.#slot = slot;
    this.#events = events;
  }

  /** Whether the directory changed since the last scan. */
  get changed(): boolean {
    return Atomics.load(this.#segment.header, H.DIRECTORY_SEQ) !== this.#seq;
  }

  /** Whether every peer this endpoint has seen has left. */
  get alone(): boolean {
    return this.#hadPeer && this.peers.size === 0;
  }

  /** Slot of the attached endpoint `address` (remembered as a peer), or -1. */
  resolve(address: string): number {
    const cached = this.#addresses.get(address);
    if (cached !== undefined && this.#segment.stateOf(cached) === EndpointState.ATTACHED) return cached;
    const slot = this.#segment.find(address);
    if (slot < 0) {
      this.#addresses.delete(address);
      return slot;
    }
    this.#addresses.set(address, slot);
    if (slot !== this.#slot && !this.peers.has(slot)) this.#join(slot, address);
    return slot;
  }

  /** Drops `slot` for good (its ring broke the protocol) and reports it as left. */
  forget(slot: number, reason: string): void {
    this.#linked.add(slot);
    this.#leave(slot, reason);
  }

  /** Finds new peers and rings and reports peers that left. */
  scan(): void {
    const segment = this.#segment;
    this.#seq = Atomics.load(segment.header, H.DIRECTORY_SEQ);
    for (let slot = 0; slot < segment.layout.maxEndpoints; slot++) {
      const state = segment.stateOf(slot);
      if (state === EndpointState.FREE) break;
      const reason = state === EndpointState.DEAD ? "its thread died" : "closed";
      const self = slot === this.#slot; // its own ring (messages sent to itself) is read, it is no peer
      if (!self && state === EndpointState.ATTACHED && !this.peers.has(slot)) this.#join(slot, segment.addressOf(slot));
      else if (!self && state !== EndpointState.ATTACHED) this.#leave(slot, reason);
      if (this.#linked.has(slot)) continue;
      let ring: SpscRing | undefined;
      try {
        ring = segment.ring(slot, this.#slot);
      } catch (error) {
        this.#linked.add(slot);
        this.#events.error(error as TransportError);
        continue;
      }
      if (ring === undefined) continue;
      this.#linked.add(slot);
      const from = segment.addressOf(slot);
      this.#events.incoming(slot, from, ring);
      if (!self && state !== EndpointState.ATTACHED && !this.peers.has(slot)) {
        // It wrote to us and left before we looked: report it once; its frames stay readable.
        this.#hadPeer = true;
        this.#events.peerLeft(slot, from, reason);
      }
    }
  }

  #join(slot: number, address: string): void {
    this.peers.set(slot, address);
    this.#hadPeer = true;
  }

  #leave(slot: number, reason: string): void {
    const address = this.peers.get(slot);
    if (address === undefined) return;
    this.peers.delete(slot);
    this.#events.peerLeft(slot, address, reason);
  }
}

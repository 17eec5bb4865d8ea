import { RING_CONTROL_BYTES } from "./ring.js";

/**
 * Byte layout of a shared-memory segment (all int32 words little-endian, as the platform's):
 *
 *   0        header            magic, layout version, sizes, counters, directory lock
 *   256      directory         maxEndpoints entries of ENTRY_BYTES: state, owner, address, doorbell
 *   ...      link table        maxEndpoints² int32: ring index + 1 of link i→j (0 none, -1 being made)
 *   ...      rings             ring slots, each RING_CONTROL_BYTES + ringBufferSize, 64-byte aligned
 *
 * A ring is made lazily by the writer of a link on its first send; the bump counter
 * `nextRing` hands out ring slots. Every value read back from shared memory is range-checked.
 */
export const SEGMENT_MAGIC = 0x53574d31; // "SWM1"
export const LAYOUT_VERSION = 2;
export const HEADER_BYTES = 256;

/** Header words. */
export const H = {
  MAGIC: 0,
  VERSION: 1,
  SIZE: 2,
  RING_CAPACITY: 3,
  MAX_ENDPOINTS: 4,
  RING_SLOTS: 5,
  NEXT_RING: 6,
  CLOSED: 7,
  NEXT_OWNER: 8,
  /** 0 when free, else the holder's owner id + 1 (see SharedMemorySegment#withDirectoryLock). */
  DIRECTORY_LOCK: 9,
  /** Bumped on every directory or link-table change; endpoints rescan when it moves. */
  DIRECTORY_SEQ: 16,
} as const;

/** Bytes of one directory entry; the doorbell sits on its own 64-byte line. */
export const ENTRY_BYTES = 192;
/** Longest address, in UTF-8 bytes. */
export const MAX_ADDRESS_BYTES = 64;

/** Directory entry words. */
export const E = {
  STATE: 0,
  OWNER: 1,
  QUEUE_CAPACITY: 2,
  ADDRESS_LENGTH: 3,
  ADDRESS: 4, // 16 words
  /** Bumped (and notified) to wake the endpoint's receive loop. */
  DOORBELL: 32,
  /** 1 while the endpoint waits for data: writers then ring the doorbell. */
  SLEEPING: 33,
} as const;

/** Life of a directory entry. */
export const EndpointState = {
  FREE: 0,
  CLAIMING: 1,
  ATTACHED: 2,
  CLOSED: 3,
  /** Its thread died (reaped by a supervisor) without closing. */
  DEAD: 4,
} as const;

/** Where each region starts, derived from the sizes. */
export interface SegmentLayout {
  size: number;
  ringCapacity: number;
  maxEndpoints: number;
  directoryOffset: number;
  linkTableOffset: number;
  ringsOffset: number;
  ringStride: number;
  ringSlots: number;
}

/** The layout for these sizes; `ringSlots` may be < 2 (the caller rejects that). */
export function computeLayout(size: number, ringCapacity: number, maxEndpoints: number): SegmentLayout {
  const directoryOffset = HEADER_BYTES;
  const linkTableOffset = directoryOffset + maxEndpoints * ENTRY_BYTES;
  const ringsOffset = align64(linkTableOffset + maxEndpoints * maxEndpoints * 4);
  const ringStride = align64(RING_CONTROL_BYTES + ringCapacity);
  const ringSlots = Math.max(0, Math.floor((size - ringsOffset) / ringStride));
  return { size, ringCapacity, maxEndpoints, directoryOffset, linkTableOffset, ringsOffset, ringStride, ringSlots };
}

function align64(n: number): number {
  return Math.ceil(n / 64) * 64;
}

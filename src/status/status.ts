/** gRPC status codes, with gRPC's meanings. */
export enum Status {
  /** Not an error. */
  OK = 0,
  /** The caller cancelled the call. */
  CANCELLED = 1,
  /** An error with no better code (e.g. a handler threw a plain Error). */
  UNKNOWN = 2,
  /** The request is malformed (e.g. could not be decoded). */
  INVALID_ARGUMENT = 3,
  /** The deadline passed before the call finished. */
  DEADLINE_EXCEEDED = 4,
  /** A requested entity was not found. */
  NOT_FOUND = 5,
  /** The entity a caller tried to create exists. */
  ALREADY_EXISTS = 6,
  /** The caller may not do this. */
  PERMISSION_DENIED = 7,
  /** A limit was hit: too many calls in flight, a message too large, a stream over its credit. */
  RESOURCE_EXHAUSTED = 8,
  /** The system is not in a state that allows the operation. */
  FAILED_PRECONDITION = 9,
  /** Aborted, typically by a concurrency conflict. */
  ABORTED = 10,
  /** A value was outside its valid range. */
  OUT_OF_RANGE = 11,
  /** No such service or method. */
  UNIMPLEMENTED = 12,
  /** An invariant broke: a bug. */
  INTERNAL = 13,
  /** The peer is unreachable (gone, never there, or the transport closed). Retrying may help. */
  UNAVAILABLE = 14,
  /** Data was lost or corrupted. */
  DATA_LOSS = 15,
  /** The caller has no valid credentials. */
  UNAUTHENTICATED = 16,
}

/** "DEADLINE_EXCEEDED" for Status.DEADLINE_EXCEEDED; "CODE_99" for a code outside the enum. */
export function statusName(code: number): string {
  return Status[code] ?? `CODE_${code}`;
}

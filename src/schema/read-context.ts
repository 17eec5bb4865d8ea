/** State of one JSON → binary conversion, shared by the readers of every message type. */

/** Settings of reading proto3 JSON. */
export interface JsonReadOptions {
  /** Skip JSON keys that name no field, and enum names that name no value, instead of refusing them. Default false. */
  ignoreUnknownFields?: boolean;
  /** Deepest nesting of messages (and Struct values) accepted. Default 100. */
  maxDepth?: number;
}

/** @internal */
export interface ReadContext {
  readonly ignoreUnknownFields: boolean;
  readonly maxDepth: number;
  /** Messages entered and not yet left. */
  depth: number;
}

/**
 * Returned by a reader for a value to leave out: an unknown enum name under
 * `ignoreUnknownFields` (the field stays unset, a list item or map entry is dropped).
 * @internal
 */
export const SKIP: unique symbol = Symbol("skip");

/** @internal */
export function readContext(options: JsonReadOptions | undefined): ReadContext {
  return { ignoreUnknownFields: options?.ignoreUnknownFields ?? false, maxDepth: options?.maxDepth ?? 100, depth: 0 };
}

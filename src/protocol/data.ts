import type { Data } from "../../generated/swarm/transport/v1/data.js";

/** A value JSON can represent. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** What message builders accept as a payload: a JSON value, protobuf bytes, or nothing. */
export type Body = JsonValue | Uint8Array | undefined;

/** Wraps a builder's body argument in the wire's `Data`: bytes become `binary`, anything else `json`. */
export function toData(body: Body, typeName = ""): Data | undefined {
  if (body === undefined) return undefined;
  if (body instanceof Uint8Array) return { kind: { $case: "binary", value: body }, typeName };
  return { kind: { $case: "json", value: body }, typeName };
}

/** The JSON value carried by `data`, or undefined when it carries bytes or nothing. */
export function dataJson(data: Data | undefined): unknown {
  return data?.kind?.$case === "json" ? data.kind.value : undefined;
}

/** The protobuf bytes carried by `data`, or undefined when it carries JSON or nothing. */
export function dataBytes(data: Data | undefined): Uint8Array | undefined {
  return data?.kind?.$case === "binary" ? data.kind.value : undefined;
}

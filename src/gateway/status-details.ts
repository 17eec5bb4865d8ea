/**
 * Error details on the HTTP edge: gRPC's `grpc-status-details-bin` is a serialized
 * google.rpc.Status{code, message, details: repeated google.protobuf.Any}; Connect lists the
 * same Any messages as `{type, value}`. An agent's error details reach the edge as its
 * ErrorResponse.details: protobuf bytes are taken to be a google.rpc.Status already (the gRPC
 * convention); anything else (a JSON value, bytes that are not a Status) travels as one Any
 * (google.protobuf.Value or google.protobuf.BytesValue).
 */
import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";
import { Value } from "../../generated/google/protobuf/struct.js";
import type { RpcError } from "../status/rpc-error.js";

/** google.protobuf.Any */
export interface AnyMessage {
  readonly typeUrl: string;
  readonly value: Uint8Array;
}

/** google.rpc.Status */
export interface RpcStatus {
  readonly code: number;
  readonly message: string;
  readonly details: readonly AnyMessage[];
}

const TYPE_PREFIX = "type.googleapis.com/";

/** The google.rpc.Status of a failed call, or undefined when it has no details. */
export function statusDetails(error: RpcError): RpcStatus | undefined {
  const details = error.details;
  if (details === undefined || details === null) return undefined;
  if (details instanceof Uint8Array) {
    const status = decodeStatus(details);
    if (status !== undefined) return { code: error.code, message: error.rawMessage, details: status.details };
    return { code: error.code, message: error.rawMessage, details: [{ typeUrl: `${TYPE_PREFIX}google.protobuf.BytesValue`, value: bytesValue(details) }] };
  }
  const value = Value.encode(Value.wrap(details)).finish();
  return { code: error.code, message: error.rawMessage, details: [{ typeUrl: `${TYPE_PREFIX}google.protobuf.Value`, value }] };
}

/** The wire form of a google.rpc.Status. */
export function encodeStatus(status: RpcStatus): Uint8Array {
  const writer = new BinaryWriter();
  if (status.code !== 0) writer.uint32(8).int32(status.code);
  if (status.message !== "") writer.uint32(18).string(status.message);
  for (const any of status.details) {
    writer.uint32(26).fork();
    if (any.typeUrl !== "") writer.uint32(10).string(any.typeUrl);
    if (any.value.length > 0) writer.uint32(18).bytes(any.value);
    writer.join();
  }
  return writer.finish();
}

/** A google.rpc.Status read from `bytes`, or undefined when they are not one. */
export function decodeStatus(bytes: Uint8Array): RpcStatus | undefined {
  try {
    const reader = new BinaryReader(bytes);
    let code = 0;
    let message = "";
    const details: AnyMessage[] = [];
    while (reader.pos < reader.len) {
      const [field, wireType] = reader.tag();
      if (field === 1 && wireType === 0) code = reader.int32();
      else if (field === 2 && wireType === 2) message = reader.string();
      else if (field === 3 && wireType === 2) details.push(decodeAny(reader.bytes()));
      else return undefined;
    }
    return { code, message, details };
  } catch {
    return undefined;
  }
}

function decodeAny(bytes: Uint8Array): AnyMessage {
  const reader = new BinaryReader(bytes);
  let typeUrl = "";
  let value: Uint8Array = new Uint8Array(0);
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1 && wireType === 2) typeUrl = reader.string();
    else if (field === 2 && wireType === 2) value = reader.bytes();
    else throw new Error("not a google.protobuf.Any");
  }
  if (!typeUrl.includes("/")) throw new Error("not a google.protobuf.Any");
  return { typeUrl, value };
}

function bytesValue(bytes: Uint8Array): Uint8Array {
  return new BinaryWriter().uint32(10).bytes(bytes).finish();
}

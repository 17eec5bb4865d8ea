/**
 * proto3 JSON ⇄ protobuf bytes for message types known only at run time (protobufjs
 * reflection), exactly as https://protobuf.dev/programming-guides/json/ defines the mapping.
 * Every problem is a SchemaError naming the field path.
 */
import type protobuf from "protobufjs";
import { messageReader } from "./json-reader.js";
import { messageWriter, type JsonWriteOptions } from "./json-writer.js";
import { readContext, type JsonReadOptions } from "./read-context.js";
import { JsonProblem, SchemaError } from "./schema-error.js";

/** Settings of a JsonCodec: how it reads and how it writes. */
export interface JsonCodecOptions extends JsonReadOptions, JsonWriteOptions {}

/** One message type's two conversions, built once and used for every message. */
export interface JsonCodec {
  /** The message type, e.g. "swarm.examples.v1.FibonacciRequest". */
  readonly typeName: string;
  /** proto3 JSON (a parsed value) → protobuf bytes; throws a SchemaError. */
  fromJson(json: unknown): Uint8Array;
  /** protobuf bytes → proto3 JSON (a value for JSON.stringify); throws a SchemaError. */
  toJson(bytes: Uint8Array): unknown;
}

/** The codec of message `type` (from a resolved protobufjs Root). */
export function createJsonCodec(type: protobuf.Type, options: JsonCodecOptions = {}): JsonCodec {
  const read = messageReader(type);
  const write = messageWriter(type);
  const writeOptions: JsonWriteOptions = { useProtoFieldName: options.useProtoFieldName, emitDefaultValues: options.emitDefaultValues };
  return {
    typeName: type.fullName.slice(1),
    fromJson(json) {
      let plain: Record<string, unknown>;
      try {
        plain = read(json, readContext(options));
      } catch (error) {
        throw error instanceof JsonProblem ? error.toError() : error;
      }
      return type.encode(plain).finish();
    },
    toJson(bytes) {
      let message: protobuf.Message;
      try {
        message = type.decode(bytes);
      } catch (error) {
        throw new SchemaError(`not a valid ${type.fullName.slice(1)}: ${(error as Error).message}`, undefined, { cause: error });
      }
      try {
        return write(message, writeOptions);
      } catch (error) {
        throw error instanceof JsonProblem ? error.toError() : error;
      }
    },
  };
}

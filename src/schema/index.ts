/**
 * Run-time schemas: `.proto` files loaded with protobufjs, their methods, and the exact proto3
 * JSON mapping of their messages. Browser-safe; loading files from disk is in
 * `./load-proto-files.js` (Node only).
 */
export { createJsonCodec, type JsonCodec, type JsonCodecOptions } from "./json-codec.js";
export type { JsonWriteOptions } from "./json-writer.js";
export type { JsonReadOptions } from "./read-context.js";
export { SchemaError } from "./schema-error.js";
export { findMethod, listMethods, listServices, type SchemaMethod } from "./schema-methods.js";

// The test schema loaded both ways: at run time with protobufjs (what src/schema converts
// with) and as protoc-gen-es output (the @bufbuild/protobuf oracle).
import { createRegistry } from "@bufbuild/protobuf";
import {
  file_google_protobuf_any,
  file_google_protobuf_duration,
  file_google_protobuf_empty,
  file_google_protobuf_field_mask,
  file_google_protobuf_struct,
  file_google_protobuf_timestamp,
  file_google_protobuf_wrappers,
} from "@bufbuild/protobuf/wkt";
import { fileURLToPath } from "node:url";
import type protobuf from "protobufjs";
import { createJsonCodec, type JsonCodec, type JsonCodecOptions } from "../../src/schema/index.js";
import { loadProtoFiles } from "../../src/schema/load-proto-files.js";
import { file_swarm_testing_v1_all_types } from "./generated/swarm/testing/v1/all_types_pb.js";
import { file_swarm_testing_v1_closed_enum } from "./generated/swarm/testing/v1/closed_enum_pb.js";

const PROTO_DIR = fileURLToPath(new URL("./proto/swarm/testing/v1/", import.meta.url));
export const TEST_PROTOS = [`${PROTO_DIR}all_types.proto`, `${PROTO_DIR}closed_enum.proto`];
export const COMPUTE_PROTO = fileURLToPath(new URL("../../proto/swarm/examples/v1/compute.proto", import.meta.url));

/** Every message type the oracle may meet inside an Any. */
export const registry = createRegistry(
  file_swarm_testing_v1_all_types,
  file_swarm_testing_v1_closed_enum,
  file_google_protobuf_any,
  file_google_protobuf_duration,
  file_google_protobuf_empty,
  file_google_protobuf_field_mask,
  file_google_protobuf_struct,
  file_google_protobuf_timestamp,
  file_google_protobuf_wrappers,
);

let root: Promise<protobuf.Root> | undefined;

/** The test schema, loaded once with protobufjs. */
export function testRoot(): Promise<protobuf.Root> {
  return (root ??= loadProtoFiles(TEST_PROTOS));
}

/** Our codec of `typeName` ("swarm.testing.v1.AllTypes") in the test schema. */
export async function codecOf(typeName: string, options?: JsonCodecOptions): Promise<JsonCodec> {
  return createJsonCodec((await testRoot()).lookupType(typeName), options);
}

/** What `run` throws (its message), or undefined when it returns. */
export function thrown(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

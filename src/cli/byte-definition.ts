/**
 * A one-method service definition whose messages are protobuf bytes: lets the typed RPC
 * client call (streams included) a method known only from `.proto` files, while the JSON ⇄
 * bytes conversion stays in src/schema.
 */
import { BinaryWriter } from "@bufbuild/protobuf/wire";
import type { MessageType, ServiceDefinition } from "../rpc/definitions.js";
import type { SchemaMethod } from "../schema/index.js";

/** Encodes bytes as they are and decodes to a copy of them. */
const BYTES: MessageType<Uint8Array> = {
  encode: (bytes, writer) => (writer instanceof BinaryWriter ? writer : new BinaryWriter()).raw(bytes),
  decode: (input, length) => input.slice(0, length ?? input.length),
};

/** The definition of `method` (its one method is `call`), taking and giving protobuf bytes. */
export function byteDefinition(method: SchemaMethod): ServiceDefinition {
  const slash = method.path.lastIndexOf("/");
  const fullName = method.path.slice(1, slash);
  return {
    name: fullName.slice(fullName.lastIndexOf(".") + 1),
    fullName,
    methods: {
      call: {
        name: method.path.slice(slash + 1),
        requestType: BYTES,
        requestStream: method.requestStream,
        responseType: BYTES,
        responseStream: method.responseStream,
      },
    },
  };
}

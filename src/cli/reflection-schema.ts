/**
 * The schema of a service fetched from a hub's server reflection, over the agent's own swarm
 * connection (the hub serves grpc.reflection.v1 on its endpoint when its gateway is on): what
 * `call` uses when no `--proto` is given, as grpcurl does.
 */
import protobuf from "protobufjs";
import descriptor from "protobufjs/ext/descriptor.js";
import { ServerReflectionDefinition } from "../../generated/grpc/reflection/v1/reflection.js";
import type { Demux } from "../demux/demux.js";
import { createClient } from "../rpc/client.js";
import { RpcError } from "../status/rpc-error.js";
import { Status } from "../status/status.js";
import { SchemaError } from "../schema/index.js";

/** The files declaring `service` (and what they import) as a resolved protobufjs Root. Throws a SchemaError when the hub does not know it. */
export async function schemaByReflection(demux: Demux, hubId: string, service: string, timeoutMs: number): Promise<protobuf.Root> {
  const reflection = createClient(ServerReflectionDefinition, demux, { peer: hubId, timeoutMs });
  const files: unknown[] = [];
  try {
    for await (const response of reflection.serverReflectionInfo([{ host: "", messageRequest: { $case: "fileContainingSymbol", value: service } }])) {
      const answer = response.messageResponse;
      if (answer?.$case === "errorResponse") throw new SchemaError(`the hub's reflection does not know ${service}: ${answer.value.errorMessage}`);
      if (answer?.$case === "fileDescriptorResponse") for (const bytes of answer.value.fileDescriptorProto) files.push(descriptor.FileDescriptorProto.decode(bytes));
    }
  } catch (error) {
    if (error instanceof RpcError && error.code === Status.UNIMPLEMENTED) {
      throw new SchemaError(`no --proto given, and hub "${hubId}" does not serve reflection (start it with --gateway, or pass --proto)`);
    }
    throw error;
  }
  try {
    return protobuf.Root.fromDescriptor({ file: files } as never);
  } catch (error) {
    throw new SchemaError(`the hub's descriptors of ${service} do not load: ${(error as Error).message}`, undefined, { cause: error });
  }
}

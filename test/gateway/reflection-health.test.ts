// Server reflection and health at the hub, seen by real gRPC clients (@grpc/grpc-js stubs
// built from gRPC's own reflection.proto and health.proto): listing services, fetching file
// descriptors that build the types without any .proto (as grpcurl does), for the schemas the hub
// loaded and for what an agent announced; a health Watch following a service's agents.
import * as grpc from "@grpc/grpc-js";
import * as loader from "@grpc/proto-loader";
import protobuf from "protobufjs";
import descriptor from "protobufjs/ext/descriptor.js";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveComputeAgent } from "../../src/cli/example-service.js";
import { PACKAGE_PROTO_DIR } from "../../src/node/package-proto.js";
import { fileDescriptorSet } from "../../src/schema/descriptors.js";
import { loadProtoFiles } from "../../src/schema/load-proto-files.js";
import { WebSocketTransport } from "../../src/node.js";
import type { Transport } from "../../src/index.js";
import { waitFor } from "../helpers/wait-for.js";
import { COMPUTE, startEdge, type EdgeFixture } from "./edge-fixture.js";

const REFLECTION_PROTO = join(PACKAGE_PROTO_DIR, "grpc/reflection/v1/reflection.proto");
const REFLECTION_V1ALPHA_PROTO = join(PACKAGE_PROTO_DIR, "grpc/reflection/v1alpha/reflection.proto");
const HEALTH_PROTO = join(PACKAGE_PROTO_DIR, "grpc/health/v1/health.proto");

interface ReflectionResponse {
  listServicesResponse?: { service: { name: string }[] };
  fileDescriptorResponse?: { fileDescriptorProto: Buffer[] };
  errorResponse?: { errorCode: number; errorMessage: string };
}

/** One reflection stream: sends `requests`, collects one answer each. */
async function reflect(port: number, requests: object[], version: "v1" | "v1alpha" = "v1"): Promise<ReflectionResponse[]> {
  const definition = grpc.loadPackageDefinition(loader.loadSync(version === "v1" ? REFLECTION_PROTO : REFLECTION_V1ALPHA_PROTO, { oneofs: true })) as any;
  const Reflection = definition.grpc.reflection[version].ServerReflection;
  const client = new Reflection(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  try {
    const call = client.ServerReflectionInfo();
    const answers: ReflectionResponse[] = [];
    for (const request of requests) call.write(request);
    call.end();
    for await (const answer of call) answers.push(answer as ReflectionResponse);
    return answers;
  } finally {
    client.close();
  }
}

/** What grpcurl does with the answers: builds the types from the FileDescriptorProtos alone. */
function rootOf(files: Buffer[]): protobuf.Root {
  return protobuf.Root.fromDescriptor({ file: files.map((bytes) => descriptor.FileDescriptorProto.decode(bytes)) } as never);
}

describe("server reflection at the hub", () => {
  let f: EdgeFixture;
  beforeAll(async () => {
    f = await startEdge();
    await f.agent("worker");
  });
  afterAll(() => f.close());

  it("lists the services (the agents', the hub's health and reflection) in v1 and v1alpha", async () => {
    for (const version of ["v1", "v1alpha"] as const) {
      const [answer] = await reflect(f.port, [{ listServices: "" }], version);
      const names = answer!.listServicesResponse!.service.map((s) => s.name);
      expect(names).toEqual(expect.arrayContaining([COMPUTE, "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"]));
    }
  });

  it("hands out the file declaring a symbol with its imports, enough to build the types and call a method", async () => {
    const [bySymbol, byMethod, byName, missing] = await reflect(f.port, [
      { fileContainingSymbol: COMPUTE },
      { fileContainingSymbol: `${COMPUTE}.Fibonacci` },
      { fileByFilename: "grpc/health/v1/health.proto" },
      { fileContainingSymbol: "no.such.Thing" },
    ]);
    const root = rootOf(bySymbol!.fileDescriptorResponse!.fileDescriptorProto);
    const service = root.lookupService(COMPUTE);
    expect(service.methodsArray.map((m) => m.name)).toEqual(["Fibonacci", "CountTo", "Sum", "Chat", "Echo"]);
    expect(service.methods["CountTo"]!.responseStream).toBe(true);
    const request = root.lookupType("swarm.examples.v1.FibonacciRequest");
    expect([...request.encode({ n: 10 }).finish()]).toEqual([8, 10]);
    expect(byMethod!.fileDescriptorResponse!.fileDescriptorProto).toHaveLength(1);
    expect(rootOf(byName!.fileDescriptorResponse!.fileDescriptorProto).lookupService("grpc.health.v1.Health").methodsArray).toHaveLength(2);
    expect(missing!.errorResponse!.errorCode).toBe(grpc.status.NOT_FOUND);
  });

  it("describes a service only an agent knows, from the descriptors it announced", async () => {
    const bare = await startEdge({ gateway: true });
    const transports: Transport[] = [];
    try {
      const transport = await WebSocketTransport.client({ url: bare.hub.url, agentId: "described" }, { heartbeatIntervalMs: 0 });
      transports.push(transport);
      const schema = await loadProtoFiles([join(PACKAGE_PROTO_DIR, "swarm/examples/v1/compute.proto")]);
      const agent = serveComputeAgent(transport, "described", { fileDescriptorSet: fileDescriptorSet(schema) });
      await waitFor(() => bare.hub.services.agents(COMPUTE).length, { what: "the agent's announcement" });
      const [list, file] = await reflect(bare.port, [{ listServices: "" }, { fileContainingSymbol: "swarm.examples.v1.EchoRequest" }]);
      expect(list!.listServicesResponse!.service.map((s) => s.name)).toContain(COMPUTE);
      expect(rootOf(file!.fileDescriptorResponse!.fileDescriptorProto).lookupType("swarm.examples.v1.EchoRequest").fields["payload"]!.type).toBe("bytes");
      await agent.close();
    } finally {
      await Promise.all(transports.map((t) => t.close()));
      await bare.close();
    }
  });
});

describe("grpc.health.v1 at the hub", () => {
  let f: EdgeFixture;
  let health: any;
  beforeAll(async () => {
    f = await startEdge();
    const Health = (grpc.loadPackageDefinition(loader.loadSync(HEALTH_PROTO, { enums: String })) as any).grpc.health.v1.Health;
    health = new Health(`127.0.0.1:${f.port}`, grpc.credentials.createInsecure());
  });
  afterAll(async () => {
    health.close();
    await f.close();
  });

  const check = (service: string): Promise<string> =>
    new Promise((resolve) => health.Check({ service }, (error: grpc.ServiceError | null, reply: { status: string }) => resolve(error ? `error ${error.code}` : reply.status)));

  it("Check: the hub itself, a service with agents, one whose agents left, one nobody knows", async () => {
    expect(await check("")).toBe("SERVING");
    expect(await check("nobody.KnowsService")).toBe(`error ${grpc.status.NOT_FOUND}`);
    // loaded from the hub's .proto but not served by any agent yet
    expect(await check(COMPUTE)).toBe("NOT_SERVING");
    const agent = await f.agent("first");
    expect(await check(COMPUTE)).toBe("SERVING");
    await agent.close();
    await waitFor(() => check(COMPUTE), { until: (s) => s === "NOT_SERVING", what: "the service to stop serving when its agent leaves" });
  });

  it("Watch: SERVING while an agent serves, NOT_SERVING when the last one leaves, SERVING when one returns", async () => {
    const seen: string[] = [];
    const watch = health.Watch({ service: COMPUTE });
    watch.on("data", (reply: { status: string }) => seen.push(reply.status));
    const ended = new Promise((resolve) => watch.on("error", resolve));
    await waitFor(() => seen.length, { what: "the first Watch answer" });
    const one = await f.agent("one");
    const two = await f.agent("two");
    await waitFor(() => seen.at(-1), { until: (s) => s === "SERVING", what: "SERVING once an agent serves" });
    await one.close();
    await two.close();
    await waitFor(() => seen.at(-1), { until: (s) => s === "NOT_SERVING", what: "NOT_SERVING when the last agent left" });
    await f.agent("three");
    await waitFor(() => seen.at(-1), { until: (s) => s === "SERVING", what: "SERVING when an agent returned" });
    // one agent of two leaving changes nothing: no NOT_SERVING between the SERVINGs
    expect(seen.filter((s, i) => s !== seen[i - 1])).toEqual(seen);
    watch.cancel();
    expect(((await ended) as grpc.ServiceError).code).toBe(grpc.status.CANCELLED);
  });
});

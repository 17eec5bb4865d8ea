import { describe, expect, it } from "vitest";
import { ComputeServiceDefinition, fibonacci } from "../../src/cli/example-service.js";
import { createClient, createDemux, createServer, InProcessNetwork } from "../../src/index.js";
import type { MessageType } from "../../src/rpc/definitions.js";
import type { ConformanceFactory } from "../transport/conformance.js";
import { describeInteropSuite } from "./interop-suite.js";
import { describeRpcSuite } from "./rpc-suite.js";
import { describeSettlementSuite } from "./settlement-suite.js";

const factory: ConformanceFactory = async (addresses, config) => {
  const network = new InProcessNetwork();
  // by reference: nothing is encoded, so a value its wire type cannot hold is not detected
  return { transports: addresses.map((address) => network.connect(address, config)), cleanup: () => network.close(), byReference: true };
};

describeRpcSuite("in-process", factory);
describeSettlementSuite("in-process", factory);
describeInteropSuite("in-process", factory);

describe("in-process: by reference", () => {
  it("a typed call encodes neither its request nor its response (JSON or not, deadline or not)", async () => {
    const encodes = { request: 0, response: 0 };
    const counting = <T>(type: MessageType<T>, key: keyof typeof encodes): MessageType<T> => ({
      ...type,
      encode: (message, writer) => {
        encodes[key]++;
        return type.encode(message, writer);
      },
    });
    const fib = ComputeServiceDefinition.methods.fibonacci;
    const Definition = {
      ...ComputeServiceDefinition,
      methods: { fibonacci: { ...fib, requestType: counting(fib.requestType, "request"), responseType: counting(fib.responseType, "response") } },
    };
    const network = new InProcessNetwork();
    const [client, server] = ["client", "server"].map((address) => createDemux(network.connect(address)));
    createServer(server!).add(Definition, { fibonacci: (request) => ({ value: fibonacci(request.n) }) });
    const compute = createClient(Definition, client!, { peer: "server", timeoutMs: 5000 });
    expect(await compute.fibonacci({ n: 10 })).toEqual({ value: 55 });
    expect(await compute.fibonacci({ n: 11 }, { deadline: 1000 })).toEqual({ value: 89 });
    expect(encodes).toEqual({ request: 0, response: 0 });
    await network.close();
  });
});

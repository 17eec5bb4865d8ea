import { SharedMemorySegment, SharedMemoryTransport } from "../../src/index.js";
import type { ConformanceFactory } from "../transport/conformance.js";
import { describeInteropSuite } from "./interop-suite.js";
import { describeRpcSuite } from "./rpc-suite.js";
import { describeSettlementSuite } from "./settlement-suite.js";

// Both ends in this thread; test/transports/shared-memory-workers.test.ts covers real workers.
const factory: ConformanceFactory = async (addresses, config) => {
  const segment = SharedMemorySegment.create({ name: "rpc", size: 8 * 1024 * 1024, ringBufferSize: 256 * 1024, maxEndpoints: 8 });
  const transports = [];
  for (const address of addresses) transports.push(await SharedMemoryTransport.attach(segment, address, config));
  return { transports, cleanup: async () => segment.close() };
};

describeRpcSuite("shared-memory", factory);
describeSettlementSuite("shared-memory", factory);
describeInteropSuite("shared-memory", factory);

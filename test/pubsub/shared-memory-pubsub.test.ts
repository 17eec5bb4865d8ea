import { SharedMemorySegment, SharedMemoryTransport } from "../../src/index.js";
import { describePubSubSuite } from "./pubsub-suite.js";

describePubSubSuite("shared-memory", async (addresses, config) => {
  const segment = SharedMemorySegment.create({ name: "pubsub", size: 16 * 1024 * 1024, ringBufferSize: 128 * 1024, maxEndpoints: 16 });
  const transports = [];
  for (const address of addresses) transports.push(await SharedMemoryTransport.attach(segment, address, config));
  const join = async (address: string) => {
    const transport = await SharedMemoryTransport.attach(segment, address, config);
    transports.push(transport);
    return transport;
  };
  return { transports, cleanup: async () => segment.close(), join };
});

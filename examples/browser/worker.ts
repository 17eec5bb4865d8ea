// A Web Worker serving ComputeService over shared memory. The page posts it a segment with
// connectWebWorker(worker, segment, { data: { address } }); bundled to /worker.js by server.ts.
import { acceptSegment, createDemux, createServer, SharedMemoryTransport } from "swarm-transport/browser";
import { computeService, ComputeServiceDefinition } from "../../src/cli/example-service.js";

const { segment, data, ready } = await acceptSegment<{ address: string }>();
const transport = await SharedMemoryTransport.attach(segment, data.address);
createServer(createDemux(transport)).add(ComputeServiceDefinition, computeService);
ready();

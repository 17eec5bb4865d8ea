// A demo agent in a worker thread, talking to the coordinator over shared memory.
import { parentPort, workerData } from "node:worker_threads";
import { serveComputeAgent } from "../../src/cli/example-service.js";
import { SharedMemorySegment, SharedMemoryTransport } from "../../src/index.js";
import type { SharedMemoryWorkerData } from "../../src/node.js";

const { segment: handle, data } = workerData as SharedMemoryWorkerData<{ id: string }>;
const transport = await SharedMemoryTransport.attach(SharedMemorySegment.open(handle), data.id);
const agent = serveComputeAgent(transport, data.id, { progressEvery: 500 });
parentPort!.on("message", (message: unknown) => {
  if (message !== "stop") return;
  void agent
    .close()
    .then(() => transport.close())
    .then(() => parentPort!.close());
});
parentPort!.postMessage("ready");

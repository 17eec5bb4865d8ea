// The echo side of bench/bare-ring.ts: copies each record from the ring to it into the ring back.
import { parentPort, workerData } from "node:worker_threads";
import { RecordKind } from "../src/transports/shared-memory/ring-math.js";
import { bareRingLayout, C, type BareRingWorkerData } from "./bare-ring.js";

const { control, toWorker, toMain } = bareRingLayout((workerData as BareRingWorkerData).buffer);
const SPIN_MS = 0.05;
parentPort!.postMessage("ready");
while (Atomics.load(control, C.STOP) === 0) {
  const record = toWorker.peek();
  if (record !== undefined) {
    toMain.tryWrite(RecordKind.FULL, record.payload, 0, record.payload.length);
    toWorker.release(1);
    continue;
  }
  const until = performance.now() + SPIN_MS;
  while (!toWorker.hasData() && performance.now() < until) {
    // spin a little before parking
  }
  if (toWorker.hasData()) continue;
  const doorbell = Atomics.load(control, C.DOORBELL);
  Atomics.store(control, C.PARKED, 1);
  if (!toWorker.hasData() && Atomics.load(control, C.STOP) === 0) Atomics.wait(control, C.DOORBELL, doorbell);
  Atomics.store(control, C.PARKED, 0);
}
process.exit(0);

/**
 * The anchor of the shared-memory round trip: two bare SPSC rings between the main thread and a
 * worker of its own that echoes each record back — no envelope, no codec, no event loop in the
 * path, both sides spinning. What is left is what a round trip through shared memory cannot go
 * below on this machine: two cache-line hand-offs and a few dozen instructions. The worker
 * parks on `Atomics.wait` after 50 µs without a record (and the main thread rings for it), so
 * it takes no core while the other side of a comparison is measured.
 */
import { Worker } from "node:worker_threads";
import { RecordKind } from "../src/transports/shared-memory/ring-math.js";
import { ringFootprint, SpscRing } from "../src/transports/shared-memory/ring.js";

const RING_BYTES = 64 * 1024;
/** Words of the control block: the worker parks on DOORBELL while PARKED is 1; STOP ends it. */
export const C = { DOORBELL: 0, PARKED: 1, STOP: 2 } as const;
const CONTROL_BYTES = 64;

/** What the echo worker (bench/bare-ring.worker.ts) is given. */
export interface BareRingWorkerData {
  buffer: SharedArrayBuffer;
}

/** Offsets in the shared buffer: control block, ring to the worker, ring back. */
export function bareRingLayout(buffer: SharedArrayBuffer): { control: Int32Array; toWorker: SpscRing; toMain: SpscRing } {
  const control = new Int32Array(buffer, 0, CONTROL_BYTES / 4);
  const toWorker = new SpscRing(buffer, CONTROL_BYTES, RING_BYTES, "bare-ring to worker");
  const toMain = new SpscRing(buffer, CONTROL_BYTES + ringFootprint(RING_BYTES), RING_BYTES, "bare-ring to main");
  return { control, toWorker, toMain };
}

/** The main thread's side: `roundTrip()` writes `payload`, spins for the echo and takes it. */
export async function startBareRing(payload: Uint8Array): Promise<{ roundTrip(): void; close(): Promise<void> }> {
  const buffer = new SharedArrayBuffer(CONTROL_BYTES + 2 * ringFootprint(RING_BYTES));
  const { control, toWorker, toMain } = bareRingLayout(buffer);
  const workerData: BareRingWorkerData = { buffer };
  const worker = new Worker(new URL("./bare-ring.worker.js", import.meta.url), { workerData });
  await new Promise((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  return {
    roundTrip() {
      if (!toWorker.tryWrite(RecordKind.FULL, payload, 0, payload.length)) throw new Error("bare ring full");
      if (Atomics.load(control, C.PARKED) === 1) {
        Atomics.add(control, C.DOORBELL, 1);
        Atomics.notify(control, C.DOORBELL);
      }
      while (!toMain.hasData()) {
        // spin: the worker answers within a microsecond once it runs
      }
      toMain.peek();
      toMain.release(1);
    },
    async close() {
      Atomics.store(control, C.STOP, 1);
      Atomics.add(control, C.DOORBELL, 1);
      Atomics.notify(control, C.DOORBELL);
      await new Promise((resolve) => worker.once("exit", resolve));
    },
  };
}

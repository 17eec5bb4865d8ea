import { Worker, type WorkerOptions } from "node:worker_threads";
import type { SharedMemorySegment, SharedMemorySegmentHandle } from "../transports/shared-memory/segment.js";

/** What `spawnSharedMemoryWorker` passes as `workerData`. */
export interface SharedMemoryWorkerData<T = unknown> {
  /** Open it with `SharedMemorySegment.open(workerData.segment)`. */
  segment: SharedMemorySegmentHandle;
  /** `options.workerData`, passed through. */
  data: T;
}

/**
 * Watches `worker`: when it exits, every endpoint attached through `handle` that did not close
 * is marked dead, so its peers see `onPeerGone` and their pending work fails at once instead of
 * waiting for a timeout. Returns a function that stops watching.
 */
export function superviseWorker(segment: SharedMemorySegment, worker: Worker, handle: SharedMemorySegmentHandle): () => void {
  const onExit = () => segment.reapOwner(handle.ownerId);
  worker.once("exit", onExit);
  return () => worker.off("exit", onExit);
}

/**
 * A worker thread running `filename`, given a handle to `segment` (see SharedMemoryWorkerData)
 * and supervised with `superviseWorker`. Terminate it with `worker.terminate()` as usual.
 */
export function spawnSharedMemoryWorker<T = unknown>(filename: string | URL, segment: SharedMemorySegment, options: WorkerOptions = {}): Worker {
  const handle = segment.handle();
  const workerData: SharedMemoryWorkerData<T> = { segment: handle, data: options.workerData as T };
  const worker = new Worker(filename, { ...options, workerData });
  superviseWorker(segment, worker, handle);
  return worker;
}

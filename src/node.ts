// Node-only entry: everything here may import node:* modules.
export { createGzip, gzip, type GzipOptions } from "./node/gzip.js";
export { spawnSharedMemoryWorker, superviseWorker, type SharedMemoryWorkerData } from "./node/shared-memory-worker.js";

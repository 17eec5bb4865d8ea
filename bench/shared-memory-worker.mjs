// Worker entry for bench/shared-memory.bench.ts: lets the worker load TypeScript, then runs the peer.
import { register } from "tsx/esm/api";

register();
await import("./shared-memory-worker.ts");

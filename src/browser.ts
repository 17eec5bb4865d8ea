// The browser entry (`swarm-transport/browser`, and the "browser" condition of the main entry):
// everything the main entry has, plus the Web Worker helpers. No node:* import is reachable
// from here (test/browser/browser-entry.test.ts bundles it for the browser to check).
//
// Compression is negotiated off in browsers: the frame codec's `Compression` is synchronous and
// browsers only have the asynchronous `CompressionStream`, so a browser client announces no
// "compression" capability and the hub sends it plain frames (see docs/browsers.md).

export * from "./index.js";
export {
  acceptSegment,
  connectWebWorker,
  type AcceptedSegment,
  type ConnectWebWorkerOptions,
  type MessagePortLike,
  type WebWorkerLike,
  type WebWorkerLink,
} from "./browser/web-worker.js";

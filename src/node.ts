// Node-only entry: everything here may import node:* modules.
export { createGzip, gzip, type GzipOptions } from "./node/gzip.js";
export { WebSocketHub, type WebSocketHubOptions } from "./transports/websocket/hub.js";
export type { HubAuthRequest } from "./transports/websocket/hub-admission.js";
export type { HubLinkOptions } from "./transports/websocket/hub-link.js";
export type { AgentInfo } from "./transports/websocket/agent-connection.js";
export type { HubStats } from "./transports/websocket/hub-stats.js";
export { WebSocketTransport, type NodeWebSocketClientOptions } from "./transports/websocket/websocket-transport.js";
export { spawnSharedMemoryWorker, superviseWorker, type SharedMemoryWorkerData } from "./node/shared-memory-worker.js";

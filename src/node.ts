// Node-only entry: everything here may import node:* modules.
export { createGzip, gzip, type GzipOptions } from "./node/gzip.js";
export { createNodeTransportRegistry } from "./node/transport-registry.js";
export { WebSocketHub, type WebSocketHubOptions } from "./transports/websocket/hub/hub.js";
export type { HubAuthRequest } from "./transports/websocket/hub/hub-admission.js";
export type { HubLinkOptions } from "./transports/websocket/hub/hub-link.js";
export type { AgentInfo } from "./transports/websocket/hub/agent-connection.js";
export type { HubStats } from "./transports/websocket/hub/hub-stats.js";
export { WebSocketTransport, type NodeWebSocketClientOptions } from "./transports/websocket/hub/websocket-transport.js";
export { spawnSharedMemoryWorker, superviseWorker, type SharedMemoryWorkerData } from "./node/shared-memory-worker.js";
export type { HubHttpExtension } from "./transports/websocket/hub/hub-http.js";
export { createHubHttp, HubHttp, type HubHttpOptions } from "./gateway/hub-http.js";
export { ConnectGateway, TARGET_HEADER, type GatewayCallObserver, type GatewayOptions } from "./gateway/connect-gateway.js";
export { connectCodeName, connectHttpStatus } from "./gateway/connect-error.js";
export { healthReport, type HealthOptions, type HealthReport } from "./gateway/health.js";
export { HubMetrics } from "./gateway/metrics.js";
export { NatsTransport, type NatsConfig, type NatsTransportOptions } from "./transports/nats/nats-transport.js";
export type { NatsTuning } from "./transports/nats/nats-options.js";
export { findNatsServer, startNatsCluster, type NatsCluster, type NatsClusterOptions, type NatsNode } from "./node/nats-server.js";

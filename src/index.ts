// The main entry: what an application writes code against. It runs unchanged in Node and in
// browsers (no node:* imports). Framing, codecs and version negotiation are in
// `swarm-transport/protocol`; Node's hub, sockets and gzip in `swarm-transport/node`.

// Messages and errors
export { Message } from "./protocol/message.js";
export type { Body, JsonValue } from "./protocol/data.js";
export { TransportError, type TransportErrorCode } from "./transport/errors.js";
export { RpcError } from "./status/rpc-error.js";
export { Status } from "./status/status.js";

// Transports
export type { TransportConfig } from "./transport/config.js";
export type { TransportStats } from "./transport/stats.js";
export type { PeerGoneEvent, ReceivedMessage, ReceiveOptions, SendOptions, Transport } from "./transport/transport.js";
export { TransportRegistry, type ConnectOptions } from "./transport/transport-registry.js";
export { createTransportRegistry } from "./transports/default-registry.js";
export { InProcessNetwork } from "./transports/in-process/in-process-network.js";
export { InProcessTransport } from "./transports/in-process/in-process-transport.js";
export { SharedMemorySegment } from "./transports/shared-memory/segment.js";
export { SharedMemoryTransport } from "./transports/shared-memory/shared-memory-transport.js";
export { WebSocketClientTransport, type LinkChangeEvent, type WebSocketClientOptions, type WebSocketConfig } from "./transports/websocket/client.js";

// One reader per transport, shared by RPC, pub/sub and the application
export { createDemux, type Demux } from "./demux/demux.js";

// Typed RPC
export { callMethod, createClient, type Client, type RpcClientOptions } from "./rpc/client.js";
export { createServer, type RpcServer, type RpcServerOptions, type ServiceImplementation } from "./rpc/server.js";
export type { ServiceDefinition } from "./rpc/definitions.js";
export type { CallContext } from "./rpc/call-context.js";
export type { CallOptions } from "./rpc/call-options.js";
export type { ClientInterceptor, ServerInterceptor } from "./rpc/interceptors.js";
export { setCallContextManager, type CallContextManager } from "./rpc/call-scope.js";
export type { RpcLogger } from "./rpc/server-call.js";

// Tracing (OpenTelemetry's: swarm-transport/otel)
export { setTracing, type SpanStart, type TraceSpan, type Tracing } from "./trace/tracing.js";

// Publish/subscribe
export { createPubSub, type DurableSubscribeOptions, type PubSub, type PublishOptions, type RequestOptions } from "./pubsub/pubsub.js";
export type { OverflowPolicy } from "./pubsub/pending-events.js";
export type { EventHandler, ReceivedEvent, SubscribeOptions, Subscription } from "./pubsub/subscription.js";

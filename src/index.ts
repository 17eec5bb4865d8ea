// The main entry: runs unchanged in Node and in browsers (no node:* imports).

export type { Control, FlowControl, Goodbye, Hello, HelloAck, SetCompression } from "../generated/swarm/transport/v1/control.js";
export type { Data } from "../generated/swarm/transport/v1/data.js";
export type {
  Broadcast,
  Envelope,
  ErrorResponse,
  Event,
  Heartbeat,
  Request,
  Response,
} from "../generated/swarm/transport/v1/envelope.js";
export type { ProtocolVersion } from "../generated/swarm/transport/v1/version.js";

export { decodeEnvelope, decodeFrame, encodeFrame, FrameFlags, validateEnvelope, type FrameCodecOptions } from "./protocol/codec.js";
export { encodeBodiesFrame, encodeEnvelopeBody, frameBodies } from "./protocol/batch.js";
export type { Compression } from "./protocol/compression.js";
export { dataBytes, dataJson, toData, type Body, type JsonValue } from "./protocol/data.js";
export { envelopeFromJson, envelopeToJson } from "./protocol/json-codec.js";
export { DEFAULT_PRIORITY, Message, nextMessageId, type Payload, type PayloadKind, type PayloadOf } from "./protocol/message.js";
export { envelopeSizeUpperBound, MAX_NESTING_DEPTH } from "./protocol/size.js";
export {
  compareVersions,
  CURRENT_VERSION,
  formatVersion,
  isCompatible,
  negotiateCapabilities,
  negotiateVersion,
} from "./protocol/version.js";

export { DEFAULT_TRANSPORT_CONFIG, resolveConfig, type TransportConfig } from "./transport/config.js";
export { TransportError, type TransportErrorCode, type TransportErrorDetails } from "./transport/errors.js";
export type { TransportStats } from "./transport/stats.js";
export type { ReceivedMessage, ReceiveOptions, SendOptions, Transport, TransportState } from "./transport/transport.js";

export { InProcessNetwork } from "./transports/in-process/in-process-network.js";
export { InProcessTransport } from "./transports/in-process/in-process-transport.js";
export { TransportRegistry, type TransportBuilder, type TransportBuildOptions } from "./transport/transport-registry.js";

export type { CallContext } from "./rpc/call-context.js";
export type { CallOptions } from "./rpc/call-options.js";
export { activeCallContext, setCallContextManager, type CallContextManager } from "./rpc/call-scope.js";
export type { RpcLogger } from "./rpc/server-call.js";
export { callMethod, createClient, type Client, type ClientMethod, type RpcClientOptions } from "./rpc/client.js";
export {
  callKind,
  methodInfos,
  methodPath,
  type CallKind,
  type MessageType,
  type MethodDefinition,
  type MethodInfo,
  type ServiceDefinition,
} from "./rpc/definitions.js";
export { createDemux, Demux, type DemuxOptions, type DemuxStats, type MessageListener } from "./demux/demux.js";
export {
  composeInterceptors,
  type CallOutcome,
  type ClientCallDescriptor,
  type ClientInterceptor,
  type ServerCallDescriptor,
  type ServerInterceptor,
} from "./rpc/interceptors.js";
export { RpcError, type RpcErrorOptions } from "./status/rpc-error.js";
export {
  createServer,
  RpcServer,
  type RpcServerOptions,
  type ServerMethod,
  type ServiceImplementation,
  type UntypedHandler,
} from "./rpc/server.js";
export { Status, statusName } from "./status/status.js";

export type { OverflowPolicy } from "./pubsub/pending-events.js";
export { createPubSub, PubSub, QUEUE_HEADER, REPLY_HEADER, type HandlerFailure, type PubSubStats, type RequestOptions } from "./pubsub/pubsub.js";
export { MAX_SUBJECT_LENGTH, SubjectPattern, subjectMatches, validatePattern, validateSubject } from "./pubsub/subject.js";
export { Subscription, type EventHandler, type ReceivedEvent, type SubscribeOptions } from "./pubsub/subscription.js";

export { WebSocketClientTransport, type WebSocketClientOptions, type WebSocketConfig } from "./transports/websocket/client.js";
export { DEFAULT_WEBSOCKET_TUNING, type WebSocketTuning } from "./transports/websocket/options.js";
export { CloseCode, type SocketFactory, type WebSocketLike } from "./transports/websocket/socket.js";
export { ConnectionPool, type ConnectionPoolOptions, type Lease } from "./transports/websocket/pool.js";
export { SharedMemorySegment, type SharedMemorySegmentHandle, type SharedMemorySegmentOptions } from "./transports/shared-memory/segment.js";
export { SharedMemoryTransport, type SharedMemoryOptions } from "./transports/shared-memory/shared-memory-transport.js";

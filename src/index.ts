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

export { WebSocketClientTransport, type WebSocketClientOptions, type WebSocketConfig } from "./transports/websocket/client.js";
export { DEFAULT_WEBSOCKET_TUNING, type WebSocketTuning } from "./transports/websocket/options.js";
export { CloseCode, type SocketFactory, type WebSocketLike } from "./transports/websocket/socket.js";
export { ConnectionPool, type ConnectionPoolOptions, type Lease } from "./transports/websocket/pool.js";

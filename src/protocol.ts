// `swarm-transport/protocol`: the wire protocol for those who build on it (a transport of
// their own, a peer in another runtime, tools): the generated envelope types, framing and
// batch codecs, the JSON debug codec, size bounds, version and capability negotiation, and the
// header names the RPC and pub/sub layers put on the wire. Runs in browsers.

export type { Control, Hello, HelloAck } from "../generated/swarm/transport/v1/control.js";
export type { Data } from "../generated/swarm/transport/v1/data.js";
export type { Envelope, Request, Response, StreamFrame } from "../generated/swarm/transport/v1/envelope.js";
export type { ProtocolVersion } from "../generated/swarm/transport/v1/version.js";

export { ProtocolError, type ProtocolErrorCode, type ProtocolErrorDetails } from "./protocol/protocol-error.js";
export { DEFAULT_PRIORITY, Message, type Payload, type PayloadKind, type PayloadOf } from "./protocol/message.js";
export { dataBytes, dataJson, toData, type Body, type JsonValue } from "./protocol/data.js";
export { decodeEnvelope, decodeFrame, encodeFrame, FrameFlags, type FrameCodecOptions } from "./protocol/codec.js";
export { encodeBodiesFrame, encodeEnvelopeBody, frameBodies } from "./protocol/batch.js";
export type { Compression } from "./protocol/compression.js";
export { envelopeFromJson, envelopeToJson } from "./protocol/json-codec.js";
export { envelopeSizeUpperBound } from "./protocol/size.js";
export {
  BATCH_RECORD_OVERHEAD,
  checkEnvelopeLimits,
  MAX_BATCH_RECORDS,
  MAX_HEADER_BYTES,
  MAX_HEADER_COUNT,
  MAX_ID_BYTES,
  MAX_NESTING_DEPTH,
} from "./protocol/limits.js";
export { compareVersions, CURRENT_VERSION, formatVersion, isCompatible, negotiateCapabilities, negotiateVersion } from "./protocol/version.js";
export { isEndToEndControl } from "./protocol/control.js";
export { CloseCode } from "./transports/websocket/socket.js";
export { CREDIT_HEADER, QUEUE_HEADER, REPLY_HEADER } from "./pubsub/pubsub.js";
export { methodPath, type MethodDefinition, type MessageType } from "./rpc/definitions.js";

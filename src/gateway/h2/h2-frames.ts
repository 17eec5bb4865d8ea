/** HTTP/2's frame types, flags and error codes (RFC 9113 §6, §7), and what reading a frame's padding needs. */

/** Frame types. */
export const FrameType = {
  DATA: 0x0,
  HEADERS: 0x1,
  PRIORITY: 0x2,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

/** Frame flags. */
export const END_STREAM = 0x1;
export const ACK = 0x1;
export const END_HEADERS = 0x4;
export const PADDED = 0x8;
export const PRIORITY_FLAG = 0x20;

/** The largest frame payload either side sends or accepts without SETTINGS saying otherwise. */
export const MAX_FRAME = 16_384;

/** Error codes (RFC 9113 §7). */
export const H2Code = {
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  INTERNAL_ERROR: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  SETTINGS_TIMEOUT: 0x4,
  STREAM_CLOSED: 0x5,
  FRAME_SIZE_ERROR: 0x6,
  REFUSED_STREAM: 0x7,
  CANCEL: 0x8,
  COMPRESSION_ERROR: 0x9,
  ENHANCE_YOUR_CALM: 0xb,
} as const;
export type H2Code = (typeof H2Code)[keyof typeof H2Code];

/** A connection error: GOAWAY with `code`, then the connection closes. */
export class ConnectionError extends Error {
  readonly code: H2Code;
  constructor(code: H2Code, message: string) {
    super(message);
    this.code = code;
  }
}

/** A stream error: RST_STREAM with `code` on `streamId`; the connection goes on. */
export class StreamError extends Error {
  readonly code: H2Code;
  readonly streamId: number;
  constructor(streamId: number, code: H2Code, message: string) {
    super(message);
    this.streamId = streamId;
    this.code = code;
  }
}

/** The payload without its padding (PADDED flag). */
export function unpad(flags: number, payload: Buffer): Buffer {
  if ((flags & PADDED) === 0) return payload;
  const pad = payload[0] ?? 0;
  if (pad >= payload.length) throw new ConnectionError(H2Code.PROTOCOL_ERROR, "padding longer than the frame");
  return payload.subarray(1, payload.length - pad);
}

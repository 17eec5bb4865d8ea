/**
 * The SETTINGS a client sends (RFC 9113 §6.5): each parameter checked, and only what the edge
 * uses kept. A frame may repeat a parameter hundreds of times; the initial window is applied once
 * per frame (its last value), so such a frame costs one pass over the streams, not one per entry.
 */
import { ConnectionError, H2Code, MAX_FRAME } from "./h2-frames.js";

/** What a client's SETTINGS frame changes. */
export interface PeerSettings {
  /** SETTINGS_INITIAL_WINDOW_SIZE, if the frame sets it. */
  initialWindow: number | undefined;
  /** SETTINGS_MAX_FRAME_SIZE, if the frame sets it. */
  maxFrame: number | undefined;
}

/** Our SETTINGS frame's payload: MAX_CONCURRENT_STREAMS, INITIAL_WINDOW_SIZE, MAX_HEADER_LIST_SIZE. */
export function ourSettings(maxConcurrentStreams: number, streamWindowBytes: number, maxHeaderListBytes: number): Buffer {
  const settings = Buffer.alloc(18);
  settings.writeUInt16BE(0x3, 0);
  settings.writeUInt32BE(maxConcurrentStreams, 2);
  settings.writeUInt16BE(0x4, 6);
  settings.writeUInt32BE(streamWindowBytes, 8);
  settings.writeUInt16BE(0x6, 12);
  settings.writeUInt32BE(maxHeaderListBytes, 14);
  return settings;
}

/** Reads a SETTINGS frame's payload (not an ACK); throws ConnectionError. */
export function readSettings(payload: Buffer): PeerSettings {
  if (payload.length % 6 !== 0) throw new ConnectionError(H2Code.FRAME_SIZE_ERROR, "SETTINGS of the wrong size");
  const settings: PeerSettings = { initialWindow: undefined, maxFrame: undefined };
  for (let at = 0; at < payload.length; at += 6) {
    const id = payload.readUInt16BE(at);
    const value = payload.readUInt32BE(at + 2);
    if (id === 0x4) {
      if (value > 0x7fff_ffff) throw new ConnectionError(H2Code.FLOW_CONTROL_ERROR, "INITIAL_WINDOW_SIZE past 2^31-1");
      settings.initialWindow = value;
    } else if (id === 0x5) {
      if (value < MAX_FRAME || value > 0xff_ffff) throw new ConnectionError(H2Code.PROTOCOL_ERROR, "MAX_FRAME_SIZE out of range");
      settings.maxFrame = value;
    } else if (id === 0x2 && value > 1) {
      throw new ConnectionError(H2Code.PROTOCOL_ERROR, "ENABLE_PUSH must be 0 or 1");
    }
    // HEADER_TABLE_SIZE: the edge's encoder uses no dynamic table; the rest concern pushes or are advisory
  }
  return settings;
}

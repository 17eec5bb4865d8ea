import type { Envelope } from "../../../generated/swarm/transport/v1/envelope.js";
import { decodeFrame, encodeFrame, type FrameCodecOptions } from "../../protocol/codec.js";
import type { Compression } from "../../protocol/compression.js";
import { Message } from "../../protocol/message.js";
import type { StatsRecorder } from "../../transport/stats.js";
import { closeReason, ReadyState, type WebSocketLike } from "./socket.js";

/**
 * One WebSocket after (or during) the handshake, from one side: frames out and in with the
 * negotiated compression, byte counts, and heartbeat bookkeeping. Used by the client and by
 * the hub for each agent. One WebSocket binary message carries exactly one frame.
 * @internal
 */
export class Link {
  readonly socket: WebSocketLike;
  /** How this side encodes frames towards the peer (the peer may change it with SetCompression). */
  readonly outgoing: FrameCodecOptions;
  /** How this side decodes the peer's frames. */
  readonly incoming: FrameCodecOptions;
  lastSeenMs = Date.now();
  #heartbeatSeq = 0;
  #lastSentMs = Date.now();
  readonly #stats: StatsRecorder;
  readonly #source: string;

  constructor(socket: WebSocketLike, source: string, maxMessageSize: number, compressionThreshold: number, stats: StatsRecorder) {
    this.socket = socket;
    this.#source = source;
    this.#stats = stats;
    this.outgoing = { maxMessageSize, enableCompression: false, compressionThreshold, compression: undefined };
    this.incoming = { maxMessageSize, enableCompression: false, compressionThreshold, compression: undefined };
  }

  /** After the handshake: both sides announced compression, so frames may be compressed. */
  enableCompression(compression: Compression | undefined, enabled: boolean): void {
    this.outgoing.compression = compression;
    this.outgoing.enableCompression = enabled && compression !== undefined;
    this.incoming.compression = compression;
  }

  /** The peer's SetCompression: how this side compresses towards it from now on. */
  setCompression(enabled: boolean, thresholdBytes: number): void {
    this.outgoing.enableCompression = enabled && this.outgoing.compression !== undefined;
    this.outgoing.compressionThreshold = thresholdBytes;
  }

  get isOpen(): boolean {
    return this.socket.readyState === ReadyState.OPEN;
  }

  /** Encodes `envelope` (throws MessageTooLarge / SerializationError) without sending it. */
  encode(envelope: Envelope): Uint8Array {
    return encodeFrame(envelope, this.outgoing);
  }

  /** Sends one encoded frame. */
  writeFrame(frame: Uint8Array): void {
    this.socket.send(frame);
    this.#stats.bytesSent += frame.length;
    this.#lastSentMs = Date.now();
  }

  /** Encodes and sends a transport-level envelope (control, heartbeat). */
  writeControl(message: Message): void {
    if (this.isOpen) this.writeFrame(this.encode(message.envelope));
  }

  /** Decodes one incoming frame (throws a TransportError for bad input). */
  decode(bytes: Uint8Array): Envelope {
    this.#stats.bytesReceived += bytes.length;
    this.lastSeenMs = Date.now();
    return decodeFrame(bytes, this.incoming);
  }

  /**
   * Heartbeat duty, called from one periodic timer: sends a Heartbeat when nothing was sent for
   * `intervalMs`, and returns false when the peer was silent past `timeoutMs` (dead).
   */
  tick(now: number, intervalMs: number, timeoutMs: number): boolean {
    if (now - this.lastSeenMs > timeoutMs) return false;
    if (now - this.#lastSentMs >= intervalMs && this.isOpen) {
      this.writeControl(Message.heartbeat(this.#source, ++this.#heartbeatSeq));
    }
    return true;
  }

  /** Sends Goodbye (when open) and closes the socket with `code`. */
  close(code: number, reason: string, goodbyeCode = ""): void {
    if (this.isOpen) {
      try {
        this.writeControl(Message.goodbye(this.#source, reason, goodbyeCode));
      } catch {
        // the socket is going away anyway
      }
    }
    if (this.socket.readyState === ReadyState.OPEN || this.socket.readyState === ReadyState.CONNECTING) {
      this.socket.close(code, closeReason(reason));
    }
  }
}

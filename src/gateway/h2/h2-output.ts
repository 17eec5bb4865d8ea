/**
 * What one HTTP/2 connection writes: frames queued in a turn and written together (one `writev`
 * for every response produced by the same callback), and what it holds for a client that does
 * not read. Three bounds, so a client that never reads costs a bounded number of bytes:
 *
 *   socket buffer > maxSocketBufferBytes ──▶ DATA waits (streams' `pump`), and reading the client
 *                                            pauses until the socket drains (it cannot make the
 *                                            edge answer more: PINGs, SETTINGS, requests)
 *   ACKs owed > MAX_PENDING_ACKS ──────────▶ ENHANCE_YOUR_CALM (PING and SETTINGS floods)
 *   held > maxConnectionBufferBytes ───────▶ ENHANCE_YOUR_CALM (socket buffer + responses waiting
 *                                            in streams + open streams' headers)
 */
import type { Socket } from "node:net";
import { ACK, ConnectionError, FrameType, H2Code } from "./h2-frames.js";
import { MAX_PENDING_ACKS } from "./h2-limits.js";

/** The write side of a connection. */
export class H2Output {
  readonly #socket: Socket;
  readonly #maxSocketBytes: number;
  readonly #maxHeldBytes: number;
  readonly #onOverflow: (message: string) => void;
  #out: Buffer[] = [];
  #flushQueued = false;
  #ended = false;
  /** ACKs queued this turn, and ACKs written that may still sit in the socket's buffer. */
  #turnAcks = 0;
  #writtenAcks = 0;
  /** Reading the client is paused until the socket drains. */
  #readPaused = false;
  /** Response bytes waiting in streams, and the header lists of open streams. */
  waitingBytes = 0;
  headerBytes = 0;

  /** `onOverflow`: the connection holds more than its bound (it should end). */
  constructor(socket: Socket, maxSocketBytes: number, maxHeldBytes: number, onOverflow: (message: string) => void) {
    this.#socket = socket;
    this.#maxSocketBytes = maxSocketBytes;
    this.#maxHeldBytes = maxHeldBytes;
    this.#onOverflow = onOverflow;
  }

  /** Whether the socket holds more than a slow client may cost: DATA waits for it to drain. */
  get socketBlocked(): boolean {
    return this.#socket.writableLength > this.#maxSocketBytes;
  }

  /** Everything the connection holds for its client, in bytes. */
  get heldBytes(): number {
    return this.#socket.writableLength + this.waitingBytes + this.headerBytes;
  }

  /** Queues one frame; everything queued in a turn goes out in one write. */
  frame(type: FrameType, flags: number, streamId: number, payload: Uint8Array | undefined): void {
    if (this.#ended) return;
    const length = payload?.length ?? 0;
    const header = Buffer.allocUnsafe(9);
    header[0] = length >>> 16;
    header[1] = (length >>> 8) & 0xff;
    header[2] = length & 0xff;
    header[3] = type;
    header[4] = flags;
    header.writeUInt32BE(streamId & 0x7fff_ffff, 5);
    this.#out.push(header);
    if (length > 0) this.#out.push(payload as Buffer);
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(this.flush);
    }
  }

  /** A PING or SETTINGS ACK; throws ConnectionError when the client is owed too many (it sends faster than it reads). */
  ack(type: FrameType, payload: Uint8Array | undefined): void {
    if (++this.#turnAcks + this.#writtenAcks > MAX_PENDING_ACKS) throw new ConnectionError(H2Code.ENHANCE_YOUR_CALM, `more than ${MAX_PENDING_ACKS} ACKs owed`);
    this.frame(type, ACK, 0, payload);
  }

  /** Response bytes waiting in a stream changed by `delta`. */
  waiting(delta: number): void {
    this.waitingBytes += delta;
    if (delta > 0 && this.heldBytes > this.#maxHeldBytes) this.#overflow();
  }

  /** Writes what is queued; nothing more is queued after `end`. */
  readonly flush = (): void => {
    this.#flushQueued = false;
    const out = this.#out;
    const socket = this.#socket;
    if (out.length === 0 || socket.destroyed) return;
    this.#out = [];
    if (socket.writableLength === 0) this.#writtenAcks = 0; // everything written before has left
    if (out.length === 1) {
      socket.write(out[0]!);
    } else {
      socket.cork();
      for (const chunk of out) socket.write(chunk);
      socket.uncork();
    }
    const buffered = socket.writableLength;
    this.#writtenAcks = buffered === 0 ? 0 : this.#writtenAcks + this.#turnAcks;
    this.#turnAcks = 0;
    if (buffered > this.#maxSocketBytes) {
      if (!this.#readPaused && socket.writableNeedDrain) {
        this.#readPaused = true;
        socket.pause();
      }
      if (buffered + this.waitingBytes + this.headerBytes > this.#maxHeldBytes) this.#overflow();
    }
  };

  /** The socket drained: read the client again. */
  drained(): void {
    this.#writtenAcks = 0;
    if (this.#readPaused && !this.#ended) {
      this.#readPaused = false;
      this.#socket.resume();
    }
  }

  /** Writes what is queued, then nothing more. */
  end(): void {
    this.flush();
    this.#ended = true;
  }

  #overflow(): void {
    // not from inside the write that overflowed: the connection ends on its own turn
    queueMicrotask(() => this.#onOverflow(`holding more than ${this.#maxHeldBytes} bytes for a client that does not read`));
  }
}

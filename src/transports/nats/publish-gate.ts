/**
 * Bounds what this process has handed the NATS client but the server has not yet taken. The
 * client buffers publishes without limit (in its outbound buffer and the socket's), so this
 * gate counts bytes published and confirms them with a PING/PONG round trip (`flush`) every
 * `flushEveryBytes`: a PONG proves the server read everything published before its PING.
 * While `maxPendingBytes` are unconfirmed, `hasRoom` is false and senders wait.
 *
 *   publish ─▶ unconfirmed += n ──(every flushEveryBytes)──▶ PING ··· PONG ─▶ unconfirmed -= covered
 *
 * A flush that fails (the connection dropped: the client discards its buffer on reconnect)
 * releases its bytes as well: they are no longer held anywhere.
 * @internal
 */
export class PublishGate {
  readonly maxPendingBytes: number;
  readonly #flushEveryBytes: number;
  readonly #flush: () => Promise<void>;
  readonly #onRoom: () => void;
  #unconfirmed = 0;
  #sinceFlush = 0;
  #flushesInFlight = 0;
  #closed = false;

  /** `flush` is the client's PING/PONG; `onRoom` runs when confirmed bytes make room again. */
  constructor(maxPendingBytes: number, flushEveryBytes: number, flush: () => Promise<void>, onRoom: () => void) {
    this.maxPendingBytes = maxPendingBytes;
    this.#flushEveryBytes = flushEveryBytes;
    this.#flush = flush;
    this.#onRoom = onRoom;
  }

  /** Bytes published and not yet confirmed. */
  get unconfirmed(): number {
    return this.#unconfirmed;
  }

  /** Whether another publish may go now. */
  get hasRoom(): boolean {
    return this.#unconfirmed < this.maxPendingBytes;
  }

  /** Counts `bytes` just published; starts a confirmation every `flushEveryBytes`. */
  published(bytes: number): void {
    this.#unconfirmed += bytes;
    this.#sinceFlush += bytes;
    if (this.#sinceFlush >= this.#flushEveryBytes || (this.#flushesInFlight === 0 && !this.hasRoom)) this.confirm();
  }

  /** Asks the server to confirm everything published so far. */
  confirm(): void {
    if (this.#closed || this.#sinceFlush === 0) return;
    const covered = this.#sinceFlush;
    this.#sinceFlush = 0;
    this.#flushesInFlight++;
    const settle = () => {
      this.#flushesInFlight--;
      const wasFull = !this.hasRoom;
      this.#unconfirmed = Math.max(0, this.#unconfirmed - covered);
      if (this.#closed) return;
      if (wasFull && this.hasRoom) this.#onRoom();
      else if (!this.hasRoom && this.#flushesInFlight === 0) this.confirm();
    };
    this.#flush().then(settle, settle);
  }

  /** Stops confirming (the connection is closing). */
  close(): void {
    this.#closed = true;
  }
}

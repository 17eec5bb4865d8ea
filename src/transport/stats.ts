/** A snapshot of what a transport has done since it was created. */
export interface TransportStats {
  /** Messages handed to the peer (or the wire). */
  messagesSent: number;
  /** Messages delivered to this endpoint. */
  messagesReceived: number;
  /** Encoded bytes written; 0 on the in-process transport, which passes messages by reference. */
  bytesSent: number;
  /** Encoded bytes read; 0 on the in-process transport. */
  bytesReceived: number;
  /** Messages discarded: expired ttl, undeliverable, or still queued when the transport closed. */
  messagesDropped: number;
  /** Failed operations (rejected sends, malformed input, ...). */
  errors: number;
  /** Successful reconnections (network transports). */
  reconnections: number;
  /** Time of the last send or receive, in ms since the Unix epoch; 0 if none yet. */
  lastActivityMs: number;
}

/** Mutable counters behind `Transport.stats()`; transports bump fields directly. @internal */
export class StatsRecorder implements TransportStats {
  messagesSent = 0;
  messagesReceived = 0;
  bytesSent = 0;
  bytesReceived = 0;
  messagesDropped = 0;
  errors = 0;
  reconnections = 0;
  lastActivityMs = 0;

  /** A copy that later activity does not change. */
  snapshot(): TransportStats {
    return {
      messagesSent: this.messagesSent,
      messagesReceived: this.messagesReceived,
      bytesSent: this.bytesSent,
      bytesReceived: this.bytesReceived,
      messagesDropped: this.messagesDropped,
      errors: this.errors,
      reconnections: this.reconnections,
      lastActivityMs: this.lastActivityMs,
    };
  }
}

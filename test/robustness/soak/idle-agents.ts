import { WebSocket } from "ws";
import { decodeEnvelope, frameBodies } from "../../../src/protocol.js";
import { Message } from "../../../src/index.js";
import { unchecked } from "../fuzz/generators.js";

const CODEC = { maxMessageSize: 10 << 20, enableCompression: false, compressionThreshold: 0 };

/** Many idle agents on raw sockets, cheap enough for 10,000 in one process. */
export interface IdleAgents {
  readonly size: number;
  /** Agents whose socket closed without `leave`. */
  readonly dropped: number;
  /** Envelopes other than HelloAck and Heartbeat that agent `i` received (PeerGone, ...). */
  notices(i: number): number;
  /** Closes agents `from` to `to - 1` at once (TCP reset: no Goodbye). */
  leave(from: number, to: number): void;
  close(): void;
}

/**
 * Connects `count` agents `${prefix}_0` ... that say Hello, then only send a Heartbeat every
 * `heartbeatMs` (one timer for all, spread over the interval) and count what they receive.
 */
export async function connectIdleAgents(url: string, count: number, heartbeatMs: number, prefix = "idle"): Promise<IdleAgents> {
  const sockets: WebSocket[] = [];
  const notices = new Uint32Array(count);
  const leaving = new Set<number>();
  let dropped = 0;
  for (let base = 0; base < count; base += 200) {
    await Promise.all(
      Array.from({ length: Math.min(200, count - base) }, (_, j) => {
        const i = base + j;
        const socket = new WebSocket(url, { perMessageDeflate: false });
        sockets[i] = socket;
        socket.on("error", () => undefined);
        socket.on("close", () => void (leaving.has(i) || dropped++));
        return new Promise<void>((resolve, reject) => {
          socket.once("open", () => socket.send(Uint8Array.from([0, ...unchecked(Message.hello(`${prefix}_${i}`))])));
          socket.once("close", () => reject(new Error(`${prefix}_${i} was refused`)));
          socket.on("message", (data: Buffer) => {
            for (const body of frameBodies(new Uint8Array(data), CODEC)) {
              const kind = decodeEnvelope(body).payload;
              if (kind?.$case === "control" && kind.value.operation?.$case === "helloAck") resolve();
              else if (kind?.$case !== "heartbeat") notices[i]!++;
            }
          });
        });
      }),
    );
  }
  let seq = 0;
  let next = 0;
  const perTick = Math.max(1, Math.ceil(count / (heartbeatMs / 100)));
  const timer = setInterval(() => {
    seq++;
    for (let n = 0; n < perTick; n++, next = (next + 1) % count) {
      const socket = sockets[next]!;
      if (socket.readyState === WebSocket.OPEN) socket.send(Uint8Array.from([0, ...unchecked(Message.heartbeat(`${prefix}_${next}`, seq))]));
    }
  }, 100);
  return {
    size: count,
    get dropped() {
      return dropped;
    },
    notices: (i) => notices[i]!,
    leave(from, to) {
      for (let i = from; i < to; i++) {
        leaving.add(i);
        sockets[i]!.terminate();
      }
    },
    close() {
      clearInterval(timer);
      for (let i = 0; i < count; i++) {
        leaving.add(i);
        sockets[i]!.terminate();
      }
    },
  };
}

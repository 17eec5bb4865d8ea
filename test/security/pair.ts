import { Message, type WebSocketClientTransport } from "../../src/index.js";
import { WebSocketTransport } from "../../src/node.js";
import { receiveWithin } from "../transport/conformance.js";

/**
 * A well-behaved pair of agents beside an attack: they exchange numbered messages both ways and
 * count what did not arrive (or arrived out of order), so an attack that disturbs other
 * connections shows up as loss.
 */
export interface Pair {
  a: WebSocketClientTransport;
  b: WebSocketClientTransport;
  /** Sends `count` numbered messages each way and waits for all of them; returns how many were lost or out of order. */
  exchange(count?: number): Promise<number>;
  close(): Promise<void>;
}

/** The next numbered message from `partner`; anything else (a fuzzer's broadcast) is skipped. Undefined after 10 s of nothing. */
async function fromPartner(to: WebSocketClientTransport, partner: string) {
  for (;;) {
    const received = await receiveWithin(to, 10_000).catch(() => undefined);
    if (received === undefined || (received.from === partner && received.message.payload("event")?.name === "pair.seq")) return received;
  }
}

export async function connectPair(url: string, token?: string, prefix = "pair"): Promise<Pair> {
  const options = token === undefined ? {} : { token };
  const a = await WebSocketTransport.client({ url, agentId: `${prefix}_a`, ...options });
  const b = await WebSocketTransport.client({ url, agentId: `${prefix}_b`, ...options });
  let next = 0;
  const one = async (from: WebSocketClientTransport, to: WebSocketClientTransport, count: number): Promise<number> => {
    const first = next;
    next += count;
    const sends = Array.from({ length: count }, (_, i) => from.send(to.localAddress, Message.event(from.localAddress, "pair.seq", { n: first + i })));
    let lost = 0;
    for (let i = 0; i < count; i++) {
      const received = await fromPartner(to, from.localAddress);
      if (received?.message.json<{ n: number }>()?.n !== first + i) lost++;
      if (received === undefined) {
        lost += count - i - 1;
        break;
      }
    }
    await Promise.allSettled(sends);
    return lost;
  };
  return {
    a,
    b,
    exchange: async (count = 50) => (await one(a, b, count)) + (await one(b, a, count)),
    close: async () => void (await Promise.all([a.close(), b.close()])),
  };
}

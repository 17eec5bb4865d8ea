import { SharedMemorySegment, type Transport, type TransportRegistry } from "swarm-transport";
import { createNodeTransportRegistry } from "swarm-transport/node";

/** Where `npm start`, `npm run server` and `npm run client` connect when given no URL. */
export const DEFAULT_URL = "inproc://greeter";

/** The server's address: what clients name as their `peer`. */
export const SERVER_ID = "greeter";

/**
 * Node's transports by URL: inproc://NAME (this process), ws://HOST:PORT (a hub, any
 * process) and, for shm://NAME, a shared-memory segment NAME made here (shared with worker
 * threads; between processes use ws://).
 */
export function transportsFor(url: string): TransportRegistry {
  const { protocol, host } = new URL(url);
  const segments = protocol === "shm:" ? [SharedMemorySegment.create({ name: host, size: 4 << 20, ringBufferSize: 1 << 20 })] : [];
  return createNodeTransportRegistry({ segments });
}

/** Connects endpoint `id` at `url`; if that fails, says why and what to do on one line and exits 1. */
export async function connectOrExit(transports: TransportRegistry, url: string, id: string): Promise<Transport> {
  try {
    return await transports.connect(url, { id });
  } catch (error) {
    const { protocol, host } = new URL(url);
    const hint = protocol === "ws:" ? ` (is a hub running? start one: npx swarm-transport hub --bind ${host})` : "";
    console.error(`${error instanceof Error ? error.message : String(error)}${hint}`);
    process.exit(1);
  }
}

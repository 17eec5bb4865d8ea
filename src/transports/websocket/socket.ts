import { TransportError } from "../../transport/errors.js";

/**
 * The part of a WebSocket this transport uses: what the browser's `WebSocket` and `ws`'s
 * `WebSocket` both provide. Nothing here imports a Node module.
 */
export interface WebSocketLike {
  readonly readyState: number;
  /** Bytes queued by `send` and not yet handed to the network. */
  readonly bufferedAmount: number;
  binaryType: string;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: "open" | "message" | "close" | "error", listener: SocketListener): void;
  removeEventListener(type: "open" | "message" | "close" | "error", listener: SocketListener): void;
  /** `ws` only: stop emitting messages until `resume()` (lets TCP push back on the sender). */
  pause?(): void;
  resume?(): void;
  /** `ws` only: drop the connection at once, without the closing handshake. */
  terminate?(): void;
}

/** A socket event listener; events differ between implementations, so the parameter is loose. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type SocketListener = (event: any) => void;

/** Opens a socket to `url`: `(url) => new WebSocket(url)` in a browser, `ws` in Node. */
export type SocketFactory = (url: string) => WebSocketLike;

/** `readyState` values (same in browsers and `ws`). */
export const ReadyState = { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 } as const;

/**
 * Close codes this transport uses. 1000–1011 are RFC 6455's; 4000–4099 are ours (application
 * range) and name the TransportError code the closing side reports.
 */
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  /** A frame larger than the receiver's maxMessageSize (ws `maxPayload`). */
  TOO_LARGE: 1009,
  /** Policy: slow consumer, heartbeat timeout. */
  POLICY: 1008,
  /** Malformed frame or envelope. */
  SERIALIZATION: 4000,
  VERSION_MISMATCH: 4001,
  ADDRESS_IN_USE: 4002,
  UNAUTHENTICATED: 4003,
  /** Something other than Hello arrived first, or no Hello in time. */
  HANDSHAKE: 4004,
} as const;

interface MessageEventLike {
  data: unknown;
}

/**
 * The bytes of a message event: `ws` gives a Buffer (a Uint8Array), browsers an ArrayBuffer
 * (with binaryType "arraybuffer"). Text messages and Blobs are not frames: undefined.
 */
export function eventBytes(event: MessageEventLike): Uint8Array | undefined {
  const data = event.data;
  // a Buffer becomes a plain view, so decoded `bytes` fields are Uint8Arrays like in browsers
  if (data instanceof Uint8Array) return data.constructor === Uint8Array ? data : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (Array.isArray(data)) return undefined; // ws "fragments" binaryType, never set here
  return undefined;
}

/** Makes a socket deliver binary messages as bytes (a browser's default is Blob). */
export function preferBytes(socket: WebSocketLike): void {
  if (socket.binaryType === "blob") socket.binaryType = "arraybuffer";
}

/** A close reason fits in 123 bytes of UTF-8 (RFC 6455 §5.5). */
export function closeReason(text: string): string {
  const encoder = new TextEncoder();
  if (encoder.encode(text).length <= 123) return text;
  let cut = text.slice(0, 120);
  while (encoder.encode(`${cut}...`).length > 123) cut = cut.slice(0, -1);
  return `${cut}...`;
}

/** Opens sockets with the global `WebSocket` (browsers, Node 22+); without one, every open throws `NotAvailable`. */
export function globalSocketFactory(): SocketFactory {
  const Native = (globalThis as { WebSocket?: new (url: string) => WebSocketLike }).WebSocket;
  if (Native === undefined) {
    return () => {
      throw new TransportError("NotAvailable", "no global WebSocket here: pass createSocket, or use WebSocketTransport.client from swarm-transport/node");
    };
  }
  return (url) => new Native(url);
}

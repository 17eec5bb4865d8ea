import type { WebSocket } from "ws";

/** The part of ws's (private) receiver this module touches. */
interface ReceiverLimits {
  _maxPayload?: unknown;
}

/**
 * Changes the largest message `socket` will buffer, as ws's `maxPayload` does but for one
 * socket and at any time: a connection still in its handshake is held to the size of a Hello,
 * so an unauthenticated peer cannot make the hub buffer a `maxMessageSize` frame; once
 * admitted it gets the hub's limit. ws reads this bound as each frame header arrives and closes
 * the socket with 1009 past it. ws offers no public API for it; if its receiver changes shape,
 * this does nothing (the server-wide `maxPayload` still holds), and the hub test for it fails.
 * @internal
 */
export function limitFrameSize(socket: WebSocket, maxBytes: number): void {
  const receiver = (socket as unknown as { _receiver?: ReceiverLimits })._receiver;
  if (receiver !== undefined && typeof receiver._maxPayload === "number") receiver._maxPayload = maxBytes;
}

import type { Envelope } from "../../generated/swarm/transport/v1/envelope.js";

/**
 * Control arms meant for the application at the far end rather than for the link they cross:
 * RPC cancellation and pub/sub interest. Hubs route them like any message and transports
 * deliver them to the receiver; every other Control arm (handshake, credit, compression,
 * routing directory) is consumed by the link or hub it arrives at.
 */
const END_TO_END = new Set<string>(["cancel", "subscribe", "unsubscribe", "interestSync", "eventCredit"]);

/** Whether `envelope` is a Control that travels end to end (see END_TO_END). */
export function isEndToEndControl(envelope: Envelope): boolean {
  const payload = envelope.payload;
  return payload?.$case === "control" && payload.value.operation !== undefined && END_TO_END.has(payload.value.operation.$case);
}

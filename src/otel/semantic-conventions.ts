/**
 * Attribute names: OpenTelemetry's RPC conventions (v1.37, the experimental set most RPC
 * instrumentations emit: rpc.system, rpc.service, rpc.method, rpc.grpc.status_code) and its
 * messaging conventions, plus this library's own under `swarm.`.
 */

/** RPC attributes. */
export const RPC_ATTRIBUTES = {
  system: "rpc.system",
  service: "rpc.service",
  method: "rpc.method",
} as const;

/** The call's status code (gRPC's numbers, which swarm RPC shares). */
export const statusAttribute = "rpc.grpc.status_code";

/** Messaging attributes (publish and deliver). */
export const MESSAGING_ATTRIBUTES = {
  system: "messaging.system",
  destination: "messaging.destination.name",
  operationType: "messaging.operation.type",
  operationName: "messaging.operation.name",
} as const;

/** This library's own attributes. */
export const SWARM_ATTRIBUTES = {
  /** The other side's agent address (callee, caller, publisher). */
  peer: "swarm.peer",
  /** This endpoint's agent address. */
  agent: "swarm.agent",
  /** The status name of a call or publish that did not end OK ("DEADLINE_EXCEEDED", ...). */
  status: "swarm.status",
} as const;

/** Span events recorded on the spans open on a WebSocket client while its link to the hub changes. */
export const LINK_EVENTS = {
  /** The link dropped; reconnecting begins. */
  lost: "swarm.link.lost",
  /** A reconnect attempt failed; another follows. */
  retry: "swarm.reconnect.retry",
  /** A reconnect succeeded (attribute `swarm.session.resumed`). */
  reconnected: "swarm.reconnected",
  /** The hub resumed the session: nothing sent either way was lost. */
  resumed: "swarm.session.resumed",
  /** Every attempt failed: the transport closes. */
  gaveUp: "swarm.reconnect.gave_up",
} as const;

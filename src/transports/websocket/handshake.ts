import type { Control, HelloAck } from "../../../generated/swarm/transport/v1/control.js";
import type { Envelope } from "../../../generated/swarm/transport/v1/envelope.js";
import type { ProtocolVersion } from "../../../generated/swarm/transport/v1/version.js";
import { Message } from "../../protocol/message.js";
import { CURRENT_VERSION, negotiateCapabilities, negotiateVersion } from "../../protocol/version.js";
import { TransportError, type TransportErrorCode } from "../../transport/errors.js";
import { BATCH_CAPABILITY, COMPRESSION_CAPABILITY } from "./options.js";

/**
 * The handshake (docs/wire-format.md, section 5.2):
 *
 *   client                          hub
 *     | -- Hello{version, caps, md} --> |   first frame, uncompressed; envelope.source = agent id
 *     | <-- HelloAck{lower version,  -- |   majors equal, id free, auth hook accepted
 *     |      caps ∩, md}                |
 *     | <-- Goodbye{reason, code} ----- |   otherwise, then close (4001 / 4002 / 4003)
 */

/** What both sides agreed on. */
export interface Negotiated {
  version: ProtocolVersion;
  capabilities: string[];
  /** The other side's metadata. */
  metadata: Record<string, string>;
}

/** The capabilities a side announces: "batch" always, "compression" when it has one enabled. */
export function localCapabilities(compression: boolean): string[] {
  return compression ? [COMPRESSION_CAPABILITY, BATCH_CAPABILITY] : [BATCH_CAPABILITY];
}

/** Pulls a Control operation of kind `kind` out of an envelope, or undefined. */
export function controlOf<K extends ControlKind>(envelope: Envelope, kind: K): ControlValue<K> | undefined {
  const payload = envelope.payload;
  if (payload?.$case !== "control") return undefined;
  const operation: { $case: string; value: unknown } | undefined = payload.value.operation;
  if (operation?.$case !== kind) return undefined;
  return operation.value as ControlValue<K>;
}

type Operation = NonNullable<Control["operation"]>;
type OperationMap = { [O in Operation as O["$case"]]: O["value"] };
/** "hello" | "helloAck" | "goodbye" | ... */
export type ControlKind = Operation["$case"];
/** The value of one Control arm, e.g. `ControlValue<"hello">` is `Hello`. */
export type ControlValue<K extends ControlKind> = OperationMap[K];

/**
 * Hub side: checks the first frame of a connection. Returns the agent id and the negotiated
 * terms, or throws a TransportError (`VersionMismatch`, or `SerializationError` when the frame
 * is not a Hello or names no agent).
 */
export function acceptHello(envelope: Envelope, capabilities: readonly string[]): { agentId: string; negotiated: Negotiated } {
  const hello = controlOf(envelope, "hello");
  if (hello === undefined) {
    throw new TransportError("SerializationError", `expected Hello as the first frame, got ${describeKind(envelope)}`);
  }
  if (envelope.source.length === 0) throw new TransportError("InvalidAddress", "Hello has an empty source (agent id)", { address: "" });
  const version = negotiateVersion(CURRENT_VERSION, hello.version);
  return {
    agentId: envelope.source,
    negotiated: { version, capabilities: negotiateCapabilities(capabilities, hello.capabilities), metadata: hello.metadata },
  };
}

/** Hub side: the HelloAck for a negotiated handshake. */
export function helloAck(source: string, negotiated: Negotiated, metadata: Record<string, string>): Message {
  return Message.helloAck(source, { version: negotiated.version, capabilities: negotiated.capabilities, metadata });
}

/**
 * Client side: reads the hub's answer to Hello. Returns the negotiated terms, or throws the
 * TransportError the hub's Goodbye names (VersionMismatch, AddressInUse, ...).
 */
export function readHelloAck(envelope: Envelope): Negotiated & { hubId: string } {
  const ack: HelloAck | undefined = controlOf(envelope, "helloAck");
  if (ack !== undefined) {
    negotiateVersion(CURRENT_VERSION, ack.version);
    return { version: ack.version!, capabilities: ack.capabilities, metadata: ack.metadata, hubId: envelope.source };
  }
  const goodbye = controlOf(envelope, "goodbye");
  if (goodbye !== undefined) throw goodbyeError(goodbye.code, goodbye.reason);
  throw new TransportError("SerializationError", `expected HelloAck, got ${describeKind(envelope)}`);
}

const KNOWN_CODES = new Set<string>([
  "ConnectionError",
  "SerializationError",
  "MessageTooLarge",
  "NotAvailable",
  "Timeout",
  "InvalidAddress",
  "AddressInUse",
  "VersionMismatch",
  "QueueFull",
  "Aborted",
  "Closed",
  "Unauthenticated",
]);

/** The TransportError a Goodbye{code, reason} stands for (ConnectionError for an unknown code). */
export function goodbyeError(code: string, reason: string): TransportError {
  const known = (KNOWN_CODES.has(code) ? code : "ConnectionError") as TransportErrorCode;
  const details: Record<string, string> = {};
  // VersionMismatch reasons carry both versions: "peer speaks protocol 2.0.0, this side speaks 1.0.0 ..."
  const versions = /protocol (\d+\.\d+\.\d+), this side speaks (\d+\.\d+\.\d+)/.exec(reason);
  if (known === "VersionMismatch" && versions !== null) {
    details["expected"] = versions[1]!; // the hub saw ours as "peer"
    details["actual"] = versions[2]!;
  }
  return new TransportError(known, `hub refused the connection: ${reason}`, details);
}

function describeKind(envelope: Envelope): string {
  const payload = envelope.payload;
  if (payload === undefined) return "an envelope without payload";
  if (payload.$case === "control") return `control ${payload.value.operation?.$case ?? "(empty)"}`;
  return payload.$case;
}

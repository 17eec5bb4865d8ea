import type { ProtocolVersion } from "../../generated/swarm/transport/v1/version.js";
import { ProtocolError } from "./protocol-error.js";

export type { ProtocolVersion };

/** The protocol version this package speaks: 1.0.0. */
export const CURRENT_VERSION: Readonly<ProtocolVersion> = Object.freeze({ major: 1, minor: 0, patch: 0 });

/** "1.0.0" */
export function formatVersion(version: ProtocolVersion): string {
  return `${version.major}.${version.minor}.${version.patch}`;
}

/** Two versions are compatible when their majors match. */
export function isCompatible(local: ProtocolVersion, remote: ProtocolVersion): boolean {
  return local.major === remote.major;
}

/**
 * The version a connection uses: the lower of the two when the majors match. Throws a
 * `VersionMismatch` ProtocolError naming both versions when they do not.
 */
export function negotiateVersion(local: ProtocolVersion, remote: ProtocolVersion | undefined): ProtocolVersion {
  if (remote === undefined) {
    throw new ProtocolError("VersionMismatch", `peer sent no protocol version; expected ${local.major}.x`, {
      expected: formatVersion(local),
      actual: "none",
    });
  }
  if (!isCompatible(local, remote)) {
    throw new ProtocolError(
      "VersionMismatch",
      `peer speaks protocol ${formatVersion(remote)}, this side speaks ${formatVersion(local)} (majors must match)`,
      { expected: formatVersion(local), actual: formatVersion(remote) },
    );
  }
  const lower = compareVersions(local, remote) <= 0 ? local : remote;
  return { major: lower.major, minor: lower.minor, patch: lower.patch };
}

/** Negative, zero or positive as `a` is older than, equal to or newer than `b`. */
export function compareVersions(a: ProtocolVersion, b: ProtocolVersion): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/** Capabilities both sides announced, in the local side's order. */
export function negotiateCapabilities(local: readonly string[], remote: readonly string[]): string[] {
  const theirs = new Set(remote);
  return local.filter((capability, index) => theirs.has(capability) && local.indexOf(capability) === index);
}

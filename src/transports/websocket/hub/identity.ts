/**
 * What authentication yields: an identity, and the agent ids it may use. An id pattern is an
 * exact id ("alice"), a prefix ending in `*` ("team-a.*" matches "team-a.x" and "team-a.x.y"),
 * or `*` alone (any id).
 *
 *   hook / token ──▶ HubIdentity{ids} ──▶ Hello source must match one pattern
 *                                     └─▶ exact match: may also take over the id's parked session
 */
export interface HubIdentity {
  /** Id patterns this identity may claim (an agent) or announce (a hub link). */
  readonly ids: readonly string[];
  /** Who authenticated (a token's subject, a certificate's name), shown in `AgentInfo`. */
  readonly subject?: string;
}

/** What an authentication hook may return: false refuses, true vouches for the id asked for, an identity names the ids. */
export type AuthResult = boolean | HubIdentity;

/** The identity of a hub without authentication (development): any free id, never a parked one's. */
export const ANYONE: HubIdentity = Object.freeze({ ids: Object.freeze(["*"]), subject: "anonymous" });

/** Whether `ids` allows `id`. */
export function allowsId(ids: readonly string[], id: string): boolean {
  for (const pattern of ids) if (matches(pattern, id)) return true;
  return false;
}

/**
 * Whether `ids` names `id` exactly (not through a pattern): only such an identity may take over
 * a parked session without that session's proof.
 */
export function namesId(ids: readonly string[], id: string): boolean {
  return ids.includes(id);
}

/** The identity a hook's answer stands for, or undefined when it refused. `id` is the id asked for. */
export function identityOf(result: AuthResult, id: string, subject?: string): HubIdentity | undefined {
  if (result === false) return undefined;
  if (result === true) return { ids: [id], subject: subject ?? id };
  if (!Array.isArray(result.ids) || !result.ids.every((pattern) => typeof pattern === "string")) return undefined;
  return result;
}

function matches(pattern: string, id: string): boolean {
  if (pattern === "*") return true;
  if (pattern.endsWith("*")) return id.startsWith(pattern.slice(0, -1));
  return pattern === id;
}

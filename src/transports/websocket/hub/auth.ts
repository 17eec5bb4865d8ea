import { timingSafeEqual } from "node:crypto";
import type { TLSSocket } from "node:tls";
import type { HubAuthRequest } from "./hub-auth-request.js";
import { ANYONE, identityOf, type AuthResult, type HubIdentity } from "./identity.js";
import { TokenError, verifyToken, type TokenKey } from "./signed-token.js";

export type { HubAuthRequest };

/**
 * Decides who may connect: false (or a throw) refuses; true vouches for the id the Hello asks
 * for; a `HubIdentity` names the ids (patterns) the connection may use.
 */
export type HubAuthenticate = (request: HubAuthRequest) => AuthResult | Promise<AuthResult>;

/** Who may link to this hub as another hub. Without it, a Hello with role=hub is refused. */
export interface HubLinkAccess {
  /** A secret linking hubs present as "Bearer <token>" (compared in constant time). */
  token?: string;
  /** Accept a link whose TLS client certificate verified against the hub's `tls.ca` (mutual TLS). */
  mutualTls?: boolean;
  /** Decides instead (e.g. `signedTokenAuth(key, { role: "hub" })`); its identity's ids are what the link may announce. */
  authenticate?: HubAuthenticate;
  /** Ids a link admitted by `token` or `mutualTls` may announce. Default `["*"]`: any id not taken on this hub. */
  ids?: readonly string[];
}

/** Options of `signedTokenAuth`. */
export interface SignedTokenAuthOptions {
  /** Which tokens this hook accepts: agent tokens (default) or hub-link tokens (`swarm_role: "hub"`). */
  role?: "agent" | "hub";
  /** Clock skew allowed on `exp` and `nbf`, in seconds. Default 30. */
  leewayS?: number;
}

/**
 * The development scheme: one static token shared by every agent. It proves only that the
 * holder knows the token, so it grants any id not taken, and never a parked session's.
 */
export function staticTokenAuth(token: string): HubAuthenticate {
  const expected = Buffer.from(token);
  return (request) => (request.token !== undefined && sameSecret(request.token, expected) ? ANYONE : false);
}

/**
 * Signed tokens (see `issueToken`): the token's signature and expiry are checked, and the
 * connection may use the ids it names (`swarm_ids`, default its `sub`). Agent tokens and
 * hub-link tokens are not interchangeable; a hub-link token's `sub` must be the linking hub's id.
 */
export function signedTokenAuth(key: TokenKey, options: SignedTokenAuthOptions = {}): HubAuthenticate {
  const role = options.role ?? "agent";
  return (request) => {
    if (request.token === undefined || request.role !== role) return false;
    let claims;
    try {
      claims = verifyToken(request.token, key, Date.now(), options.leewayS);
    } catch (error) {
      if (error instanceof TokenError || error instanceof TypeError) return false;
      throw error;
    }
    if ((claims.swarm_role ?? "agent") !== role) return false;
    if (role === "hub" && claims.sub !== request.agentId) return false;
    return { ids: claims.swarm_ids ?? [claims.sub], subject: claims.sub };
  };
}

/** Runs the agents' hook: the identity, or undefined when refused. No hook: anyone (development). */
export async function authenticateAgent(hook: HubAuthenticate | undefined, request: HubAuthRequest): Promise<HubIdentity | undefined> {
  if (hook === undefined) return ANYONE;
  return identityOf(await hook(request), request.agentId);
}

/** Checks a hub link's credential: the identity whose ids it may announce, or undefined when refused. */
export async function authenticateLink(access: HubLinkAccess | undefined, request: HubAuthRequest): Promise<HubIdentity | undefined> {
  if (access === undefined) return undefined;
  const ids = access.ids ?? ["*"];
  if (access.mutualTls === true && (request.request.socket as TLSSocket).authorized === true) return { ids, subject: `tls:${request.agentId}` };
  if (access.token !== undefined && request.token !== undefined && sameSecret(request.token, Buffer.from(access.token))) return { ids, subject: `token:${request.agentId}` };
  if (access.authenticate === undefined) return undefined;
  const result = await access.authenticate(request);
  return result === true ? { ids, subject: `hook:${request.agentId}` } : identityOf(result, request.agentId);
}

function sameSecret(given: string, expected: Buffer): boolean {
  const bytes = Buffer.from(given);
  return bytes.length === expected.length && timingSafeEqual(bytes, expected);
}

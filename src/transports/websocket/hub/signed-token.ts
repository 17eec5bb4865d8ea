import { createHmac, createPrivateKey, createPublicKey, sign, timingSafeEqual, verify, type KeyObject } from "node:crypto";

/**
 * Signed tokens naming an agent id and an expiry: JWS compact serialization (a JWT), so any
 * JWT library can mint them, signed with HMAC-SHA256 ("HS256", a secret shared by issuer and
 * hub) or Ed25519 ("EdDSA", the hub holds only the public key).
 *
 *   base64url({"alg":"HS256","typ":"JWT"}) . base64url(claims) . base64url(signature)
 *   claims: { sub: "alice", exp: 1767225600, swarm_ids?: ["alice", "alice.*"], swarm_role?: "hub" }
 *
 * A verifier is bound to one algorithm and key: the header's `alg` must be that one (no
 * "none", no algorithm switching); `exp` is required.
 */

/** The claims of a token. */
export interface TokenClaims {
  /** The subject: the agent id (or, with `swarm_role: "hub"`, the hub id). */
  sub: string;
  /** Expiry, seconds since the Unix epoch. */
  exp: number;
  /** Not before, seconds since the Unix epoch. */
  nbf?: number;
  /** Issued at, seconds since the Unix epoch. */
  iat?: number;
  /** Id patterns the holder may claim (or, as a hub, announce); default `[sub]`. */
  swarm_ids?: string[];
  /** "hub" for a hub-link credential; absent (or "agent") for an agent. */
  swarm_role?: "agent" | "hub";
}

/** Key material: an HMAC secret (at least 32 bytes), or an Ed25519 key (PEM or KeyObject). */
export type TokenKey = { hmacSecret: string | Uint8Array } | { privateKey: string | KeyObject } | { publicKey: string | KeyObject };

/** What `issueToken` needs besides the key. */
export interface IssueTokenOptions {
  /** The agent (or hub) id the token names. */
  subject: string;
  /** Lifetime in seconds from now. */
  expiresInS: number;
  /** Id patterns the holder may use; default only `subject`. */
  ids?: string[];
  /** "hub" for a hub-link credential. */
  role?: "agent" | "hub";
}

/** Why a token was refused. */
export class TokenError extends Error {
  override readonly name = "TokenError";
}

/** Mints a token for `options.subject`, signed with an HMAC secret or an Ed25519 private key. */
export function issueToken(options: IssueTokenOptions, key: TokenKey): string {
  if (!Number.isFinite(options.expiresInS) || options.expiresInS <= 0) throw new RangeError(`expiresInS must be > 0, got ${options.expiresInS}`);
  const now = Math.floor(Date.now() / 1000);
  const claims: TokenClaims = { sub: options.subject, iat: now, exp: now + Math.ceil(options.expiresInS) };
  if (options.ids !== undefined) claims.swarm_ids = options.ids;
  if (options.role !== undefined) claims.swarm_role = options.role;
  const { alg, secret, privateKey } = signingKey(key);
  const input = `${encodeJson({ alg, typ: "JWT" })}.${encodeJson(claims)}`;
  const signature = alg === "HS256" ? hmac(secret!, input) : sign(null, Buffer.from(input), privateKey!);
  return `${input}.${signature.toString("base64url")}`;
}

/** Verifies `token` (signature, algorithm, expiry) and returns its claims; throws a TokenError saying why not. */
export function verifyToken(token: string, key: TokenKey, nowMs = Date.now(), leewayS = 30): TokenClaims {
  const parts = token.split(".");
  if (parts.length !== 3) throw new TokenError("not a signed token (expected header.claims.signature)");
  const [header, body, signature] = parts as [string, string, string];
  const expected = verifyingKey(key);
  if (decodeJson<{ alg?: unknown }>(header, "header").alg !== expected.alg) throw new TokenError(`token is not signed with ${expected.alg}`);
  const input = Buffer.from(`${header}.${body}`);
  const given = Buffer.from(signature, "base64url");
  const valid =
    expected.alg === "HS256"
      ? given.length === 32 && timingSafeEqual(given, hmac(expected.secret!, input))
      : verify(null, input, expected.publicKey!, given);
  if (!valid) throw new TokenError("bad token signature");
  const claims = decodeJson<Partial<TokenClaims>>(body, "claims");
  const now = nowMs / 1000;
  if (typeof claims.sub !== "string" || claims.sub.length === 0) throw new TokenError("token names no subject (sub)");
  if (typeof claims.exp !== "number") throw new TokenError("token has no expiry (exp)");
  if (claims.exp + leewayS <= now) throw new TokenError(`token expired ${Math.round(now - claims.exp)} s ago`);
  if (typeof claims.nbf === "number" && claims.nbf - leewayS > now) throw new TokenError("token is not valid yet (nbf)");
  if (claims.swarm_ids !== undefined && !(Array.isArray(claims.swarm_ids) && claims.swarm_ids.every((id) => typeof id === "string"))) {
    throw new TokenError("swarm_ids must be a list of strings");
  }
  return claims as TokenClaims;
}

function signingKey(key: TokenKey): { alg: "HS256" | "EdDSA"; secret?: Uint8Array; privateKey?: KeyObject } {
  if ("hmacSecret" in key) return { alg: "HS256", secret: secretBytes(key.hmacSecret) };
  if ("privateKey" in key) return { alg: "EdDSA", privateKey: ed25519(typeof key.privateKey === "string" ? createPrivateKey(key.privateKey) : key.privateKey) };
  throw new TypeError("issuing a token needs an hmacSecret or an Ed25519 privateKey");
}

function verifyingKey(key: TokenKey): { alg: "HS256" | "EdDSA"; secret?: Uint8Array; publicKey?: KeyObject } {
  if ("hmacSecret" in key) return { alg: "HS256", secret: secretBytes(key.hmacSecret) };
  const source = "publicKey" in key ? key.publicKey : key.privateKey;
  const object = typeof source === "string" ? createPublicKey(source) : source.type === "private" ? createPublicKey(source) : source;
  return { alg: "EdDSA", publicKey: ed25519(object) };
}

function ed25519(key: KeyObject): KeyObject {
  if (key.asymmetricKeyType !== "ed25519") throw new TypeError(`expected an Ed25519 key, got ${key.asymmetricKeyType ?? key.type}`);
  return key;
}

function secretBytes(secret: string | Uint8Array): Uint8Array {
  const bytes = typeof secret === "string" ? Buffer.from(secret, "utf8") : secret;
  if (bytes.length < 32) throw new RangeError(`an HMAC secret needs at least 32 bytes, got ${bytes.length}`);
  return bytes;
}

function hmac(secret: Uint8Array, input: string | Uint8Array): Buffer {
  return createHmac("sha256", secret).update(input).digest();
}

function encodeJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

function decodeJson<T>(part: string, what: string): T {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error("not an object");
    return value as T;
  } catch {
    throw new TokenError(`token ${what} is not base64url JSON`);
  }
}

import type { MethodInfo } from "./definitions.js";

/** What a handler knows about the call it serves. */
export interface CallContext {
  /** The method being called (for untyped methods, `path` is the method name and `kind` "unary"). */
  readonly method: Pick<MethodInfo, "path" | "kind">;
  /** Address of the caller. */
  readonly peer: string;
  /** Request metadata (the request envelope's headers). */
  readonly metadata: Readonly<Record<string, string>>;
  /**
   * Aborts when the call ends early: the caller cancelled or its deadline passed (it sends a
   * Cancel), the caller vanished, or the server closed. Stop work and return when it fires.
   */
  readonly signal: AbortSignal;
  /** The caller's deadline as ms since the Unix epoch, or undefined when it set none. */
  readonly deadline: number | undefined;
  /** Response headers: set them before the first response message is sent. */
  readonly header: Record<string, string>;
  /** Response trailers: sent with the outcome. */
  readonly trailer: Record<string, string>;
}

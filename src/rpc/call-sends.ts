import type { SendOptions } from "../transport/transport.js";

/**
 * The `SendOptions` of every message one call sends. With a deadline, a send waits (for the
 * connection, the socket, credit, queue space) as long as the call lives, not for the
 * transport's `connectionTimeoutMs`: the deadline bounds it, as in gRPC. Without one the
 * transport's limit applies (the call then fails UNAVAILABLE). Either way a send still waiting
 * when the call ends is abandoned.
 * @internal
 */
export class CallSends implements SendOptions {
  readonly timeoutMs: number | undefined;
  #controller: AbortController | undefined;

  constructor(hasDeadline: boolean) {
    this.timeoutMs = hasDeadline ? Infinity : undefined;
  }

  // Made on first use: transports read it only when a send has to wait, so a call whose sends
  // go straight out allocates no AbortController.
  get signal(): AbortSignal {
    return (this.#controller ??= new AbortController()).signal;
  }

  /** The call ended: sends still waiting are abandoned. */
  end(reason: unknown): void {
    this.#controller?.abort(reason);
  }
}

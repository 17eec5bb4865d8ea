// Public: what `WebSocketHub.onAgentEvent` reports. Kept apart from the connection classes so
// the published types of swarm-transport/node never reach the `ws` package's types.

/** Something that happened to an agent's (or a linked hub's) connection, for logs. */
export type HubAgentEvent =
  /** Admitted: a new agent, or one whose session resumed on a new link. */
  | { readonly type: "joined"; readonly agentId: string; readonly remoteAddress: string; readonly isHub: boolean; readonly resumed: boolean }
  /** Its link dropped; its session is kept (it stays routable) until it resumes or the grace period ends. */
  | { readonly type: "parked"; readonly agentId: string; readonly reason: string }
  /** Gone for good: it left, its link closed without a session, or its session expired. */
  | { readonly type: "left"; readonly agentId: string; readonly reason: string }
  /**
   * The hub closed a connection: a Hello it refused (credentials, version, id taken), a bad
   * frame, a slow consumer, silence past the heartbeat timeout. `agentId` is "" before a Hello.
   */
  | { readonly type: "dropped"; readonly agentId: string; readonly remoteAddress: string; readonly reason: string; readonly code: string };

/** The listeners of a hub's agent events. @internal */
export class HubEvents {
  readonly #listeners = new Set<(event: HubAgentEvent) => void>();

  listen(listener: (event: HubAgentEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(event: HubAgentEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // a failing listener (a logger) must not break the hub
      }
    }
  }
}

import { SubjectPattern } from "./subject.js";

interface Interest {
  readonly matcher: SubjectPattern;
  readonly queue: string;
}

/** Who to send an event on a subject to. */
export interface Targets {
  /** Agents with at least one plain (non-queue) matching subscription. */
  readonly agents: Set<string>;
  /** Per queue group, the agents with a matching member (each agent once, in a stable order). */
  readonly groups: Map<string, string[]>;
}

/**
 * Other agents' subscriptions, as announced by their Subscribe messages: per agent, per
 * subscription id, a compiled pattern and a queue group. Bounded by what peers announce; an
 * agent's entries go when it does.
 * @internal
 */
export class InterestTable {
  readonly #byAgent = new Map<string, Map<number, Interest>>();
  readonly #roundRobin = new Map<string, number>();
  /** Most subscriptions remembered per agent; more are ignored (a hostile peer cannot grow this without bound). */
  static readonly MAX_PER_AGENT = 10_000;

  add(agent: string, id: number, pattern: string, queue: string): void {
    let matcher: SubjectPattern;
    try {
      matcher = new SubjectPattern(pattern);
    } catch {
      return; // an invalid pattern from a peer is ignored
    }
    let interests = this.#byAgent.get(agent);
    if (interests === undefined) this.#byAgent.set(agent, (interests = new Map()));
    if (interests.size >= InterestTable.MAX_PER_AGENT && !interests.has(id)) return;
    interests.set(id, { matcher, queue });
  }

  remove(agent: string, id: number): void {
    const interests = this.#byAgent.get(agent);
    if (interests?.delete(id) && interests.size === 0) this.#byAgent.delete(agent);
  }

  removeAgent(agent: string): void {
    this.#byAgent.delete(agent);
  }

  clear(): void {
    this.#byAgent.clear();
  }

  targets(subject: string): Targets {
    const agents = new Set<string>();
    const groups = new Map<string, string[]>();
    for (const [agent, interests] of this.#byAgent) {
      const joined = new Set<string>();
      for (const interest of interests.values()) {
        if (!interest.matcher.matches(subject)) continue;
        if (interest.queue === "") agents.add(agent);
        else if (!joined.has(interest.queue)) {
          joined.add(interest.queue);
          let members = groups.get(interest.queue);
          if (members === undefined) groups.set(interest.queue, (members = []));
          members.push(agent);
        }
      }
    }
    return { agents, groups };
  }

  /** The next member index (0..count-1) of `group`, round robin. */
  pick(group: string, count: number): number {
    const next = this.#roundRobin.get(group) ?? 0;
    this.#roundRobin.set(group, next + 1);
    return next % count;
  }
}

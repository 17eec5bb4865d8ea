import { SubjectMatcher } from "../../../protocol/subject.js";

/** The header naming the queue group an event was sent to one member of ([P3]; pub/sub's QUEUE_HEADER). */
export const QUEUE_GROUP_HEADER = "swarm-queue";

/** One announced subscription, as the hub keeps it. */
interface Interest {
  readonly matcher: SubjectMatcher;
  readonly queue: string;
  /** Whether it meters its publishers (Subscribe.window > 0): those deliveries stay with the publisher. */
  readonly metered: boolean;
}

/** Who the hub delivers a multicast publish on one subject to, before leaving out the publisher. */
export interface MulticastTargets {
  /** Agents with a matching plain subscription, none of them metered. */
  readonly agents: readonly string[];
  /** Agents with a matching plain subscription of which one is metered: the publisher serves them. */
  readonly meteredAgents: ReadonlySet<string>;
  /** Queue groups with a matching member and no metered member: their members' agents, in a stable order. */
  readonly groups: ReadonlyMap<string, readonly string[]>;
  /** Queue groups with a metered member anywhere: the publisher picks for them. */
  readonly meteredGroups: ReadonlySet<string>;
}

/** Subjects whose targets are remembered between changes of the table; past it the memory starts over. */
const MAX_CACHED_SUBJECTS = 4096;

/**
 * The hub's interest table (docs/wire-format.md [M3]): every agent's subscriptions as its
 * Subscribe / Unsubscribe announcements passing through the hub said, by the agent's id (the
 * source the hub checked). The same bound as an agent's own table: at most
 * `MAX_PER_AGENT` subscriptions per agent, patterns of the subject grammar only (others are
 * ignored). An agent's entries go when it does. Targets per subject are computed once and
 * remembered until the table changes, so a publish costs a map lookup.
 * @internal
 */
export class HubInterest {
  static readonly MAX_PER_AGENT = 10_000;
  readonly #byAgent = new Map<string, Map<number, Interest>>();
  readonly #cache = new Map<string, MulticastTargets>();
  readonly #roundRobin = new Map<string, number>();

  /** Records (or replaces) subscription `id` of `agent`. */
  add(agent: string, id: number, pattern: string, queue: string, window: number): void {
    const matcher = SubjectMatcher.compile(pattern);
    if (matcher === undefined) return;
    let interests = this.#byAgent.get(agent);
    if (interests === undefined) this.#byAgent.set(agent, (interests = new Map()));
    if (interests.size >= HubInterest.MAX_PER_AGENT && !interests.has(id)) return;
    interests.set(id, { matcher, queue, metered: window > 0 });
    this.#cache.clear();
  }

  remove(agent: string, id: number): void {
    const interests = this.#byAgent.get(agent);
    if (interests?.delete(id) !== true) return;
    if (interests.size === 0) this.#byAgent.delete(agent);
    this.#cache.clear();
  }

  removeAgent(agent: string): void {
    if (this.#byAgent.delete(agent)) this.#cache.clear();
  }

  /** Whether `agent` has a subscription in queue group `group` matching `subject`. */
  isMember(agent: string, group: string, subject: string): boolean {
    const interests = this.#byAgent.get(agent);
    if (interests === undefined) return false;
    for (const interest of interests.values()) if (interest.queue === group && interest.matcher.matches(subject)) return true;
    return false;
  }

  /** The targets of a publish on `subject` (a valid subject). */
  targets(subject: string): MulticastTargets {
    let targets = this.#cache.get(subject);
    if (targets === undefined) {
      if (this.#cache.size >= MAX_CACHED_SUBJECTS) this.#cache.clear();
      targets = this.#compute(subject);
      this.#cache.set(subject, targets);
    }
    return targets;
  }

  /** The next index (0..count-1) among `group`'s members, round robin. */
  pick(group: string, count: number): number {
    const next = this.#roundRobin.get(group) ?? 0;
    this.#roundRobin.set(group, next + 1 >= Number.MAX_SAFE_INTEGER ? 0 : next + 1);
    return next % count;
  }

  #compute(subject: string): MulticastTargets {
    const agents: string[] = [];
    const meteredAgents = new Set<string>();
    const groups = new Map<string, string[]>();
    const meteredGroups = new Set<string>();
    for (const [agent, interests] of this.#byAgent) {
      let plain = false;
      let metered = false;
      for (const interest of interests.values()) {
        if (!interest.matcher.matches(subject)) continue;
        if (interest.queue === "") {
          plain = true;
          metered ||= interest.metered;
          continue;
        }
        if (interest.metered) meteredGroups.add(interest.queue);
        let members = groups.get(interest.queue);
        if (members === undefined) groups.set(interest.queue, (members = []));
        if (members[members.length - 1] !== agent) members.push(agent);
      }
      if (metered) meteredAgents.add(agent);
      else if (plain) agents.push(agent);
    }
    for (const group of meteredGroups) groups.delete(group);
    return { agents, meteredAgents, groups, meteredGroups };
  }
}

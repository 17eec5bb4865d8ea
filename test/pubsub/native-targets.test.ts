import { describe, expect, it } from "vitest";
import { InterestTable } from "../../src/pubsub/interest-table.js";

describe("InterestTable: what a broker serves and what still needs copies", () => {
  const table = () => {
    const t = new InterestTable();
    t.add("nats_a", 1, "jobs.*", "", 0, true); // native plain
    t.add("nats_a", 2, "jobs.>", "", 0, true); // native plain: each subscription counts
    t.add("nats_b", 1, "jobs.*", "workers", 0, true); // native queue group
    t.add("hub_c", 1, "jobs.*", "workers", 0, false); // the same group, behind a hub
    t.add("hub_c", 2, "jobs.*", "", 0, false); // plain, behind a hub: needs a copy
    t.add("nats_d", 1, "jobs.*", "", 5, true); // "block": metered copies, never the broker
    return t;
  };

  it("nativeTargets counts the broker's deliveries: native, unmetered subscriptions; a queue group once", () => {
    expect(table().nativeTargets("jobs.x")).toEqual({ plain: 2, groups: new Set(["workers"]) });
    expect(table().nativeTargets("jobs.x.y")).toEqual({ plain: 1, groups: new Set() });
    expect(table().nativeTargets("other")).toEqual({ plain: 0, groups: new Set() });
  });

  it("targets names the agents that need copies: behind a hub (unbrokered) or metered", () => {
    const { agents, unbrokered, groups } = table().targets("jobs.x");
    expect([...unbrokered]).toEqual(["hub_c"]);
    expect(agents.get("nats_d")).toEqual([{ key: "s:1", window: 5 }]);
    expect(agents.get("nats_a")).toEqual([]);
    expect(groups.get("workers")).toEqual([
      { agent: "nats_b", lane: undefined, native: true },
      { agent: "hub_c", lane: undefined, native: false },
    ]);
  });
});

// docs/cli.md shows each command's --help text: it must be the text the command prints.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { agentCommand } from "../../src/cli/commands/agent.js";
import { benchCommand } from "../../src/cli/commands/bench.js";
import { callCommand } from "../../src/cli/commands/call.js";
import { hubCommand } from "../../src/cli/commands/hub.js";
import { initCommand } from "../../src/cli/commands/init.js";
import { publishCommand } from "../../src/cli/commands/publish.js";
import { subscribeCommand } from "../../src/cli/commands/subscribe.js";
import { topCommand } from "../../src/cli/commands/top.js";

const COMMANDS = [initCommand, hubCommand, agentCommand, callCommand, publishCommand, subscribeCommand, topCommand, benchCommand];

describe("docs/cli.md", () => {
  const doc = readFileSync("docs/cli.md", "utf8");

  it.each(COMMANDS.map((command) => [command.name, command] as const))("shows the usage of %s as the command prints it", (name, command) => {
    const shown = new RegExp("^### `" + name + "`\\n\\n```text\\n([\\s\\S]*?)\\n```", "m").exec(doc)?.[1];
    expect(shown, `a "### \`${name}\`" section with a text block`).toBeDefined();
    expect(shown).toBe(command.usage);
  });
});

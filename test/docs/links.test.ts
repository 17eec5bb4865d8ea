// Every relative link in README.md and docs/ leads to a file that exists, and every #anchor to a
// heading of that file: the documentation links only pages that are there.
import { existsSync } from "node:fs";
import { dirname, join, normalize, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { documentationFiles, headingAnchors, links, readDoc } from "./markdown.js";

const ROOT = resolve(import.meta.dirname, "../..");

describe("links in the documentation", () => {
  it.each(documentationFiles(ROOT))("%s links only to files and headings that exist", (file) => {
    const broken: string[] = [];
    for (const { target, line } of links(readDoc(ROOT, file))) {
      if (/^[a-z][a-z+.-]*:/i.test(target)) continue; // https:, mailto:
      const [path = "", anchor] = target.split("#");
      const resolved = path === "" ? file : normalize(relative(ROOT, join(dirname(join(ROOT, file)), path)));
      if (!existsSync(join(ROOT, resolved))) {
        broken.push(`line ${line}: ${target} (no file ${resolved})`);
        continue;
      }
      if (anchor !== undefined && resolved.endsWith(".md") && !headingAnchors(readDoc(ROOT, resolved)).has(anchor)) {
        broken.push(`line ${line}: ${target} (no heading #${anchor} in ${resolved})`);
      }
    }
    expect(broken).toEqual([]);
  });
});

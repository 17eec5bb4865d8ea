// Reading the documentation's Markdown: fenced code blocks with their info strings, links and
// headings. Used by the docs tests (code-blocks.test.ts, links.test.ts); pure functions.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

/** A fenced code block: ```lang tag tag … */
export interface CodeBlock {
  /** The Markdown file, relative to the repository root, e.g. "docs/rpc.md". */
  readonly file: string;
  /** Line of the opening fence, 1-based. */
  readonly line: number;
  /** The first word of the info string ("" when the fence has none). */
  readonly lang: string;
  /** The other words of the info string, e.g. ["fragment"]. */
  readonly tags: readonly string[];
  /** The block's text, without the fences and without the fence's indentation. */
  readonly code: string;
}

/** The Markdown files the docs tests cover: README.md and everything under docs/. */
export function documentationFiles(root: string): string[] {
  const files = ["README.md"];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".md")) files.push(relative(root, join(root, path)));
    }
  };
  walk("docs");
  return files.sort();
}

/** Every fenced block of `text` (fences of ``` or ~~~, possibly indented inside a list item). */
export function codeBlocks(file: string, text: string): CodeBlock[] {
  const lines = text.split("\n");
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*(.*)$/.exec(lines[i]!);
    if (open === null) continue;
    const [, indent = "", fence = "", info = ""] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const close = /^\s*(`{3,}|~{3,})\s*$/.exec(lines[j]!);
      if (close !== null && close[1]![0] === fence[0] && close[1]!.length >= fence.length) break;
      body.push(lines[j]!.startsWith(indent) ? lines[j]!.slice(indent.length) : lines[j]!.trimStart());
    }
    const [lang = "", ...tags] = info.trim().split(/\s+/).filter((word) => word.length > 0);
    blocks.push({ file, line: i + 1, lang, tags, code: body.join("\n") });
    i = j;
  }
  return blocks;
}

/** `text` without its fenced blocks (their lines blanked, so line numbers stay). */
export function withoutCodeBlocks(text: string): string {
  const lines = text.split("\n");
  let fence: string | undefined;
  return lines
    .map((line) => {
      const match = /^\s*(`{3,}|~{3,})/.exec(line);
      if (fence === undefined && match !== null) {
        fence = match[1]!;
        return "";
      }
      if (fence !== undefined) {
        if (match !== null && match[1]![0] === fence[0] && match[1]!.length >= fence.length && line.trim() === match[1]) fence = undefined;
        return "";
      }
      return line;
    })
    .join("\n");
}

/** A Markdown link `[text](target)` outside code: its target and line. */
export interface Link {
  readonly target: string;
  readonly line: number;
}

/** The inline links of `text` outside fenced blocks and inline code spans. */
export function links(text: string): Link[] {
  const found: Link[] = [];
  withoutCodeBlocks(text)
    .split("\n")
    .forEach((line, index) => {
      const plain = line.replace(/`[^`]*`/g, "");
      for (const match of plain.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) found.push({ target: match[1]!, line: index + 1 });
    });
  return found;
}

/** GitHub's anchor for each heading of `text` ("## Which transport when" → "which-transport-when"). */
export function headingAnchors(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of withoutCodeBlocks(text).split("\n")) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading === null) continue;
    const base = heading[1]!
      .replace(/`/g, "")
      .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/** Reads a documentation file relative to `root`. */
export function readDoc(root: string, file: string): string {
  return readFileSync(join(root, file), "utf8");
}

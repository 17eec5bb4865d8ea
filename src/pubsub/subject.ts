import { TransportError } from "../transport/errors.js";

/**
 * Subjects and patterns, as NATS users know them:
 *
 * - A subject is one or more non-empty tokens joined by ".": `training.epoch42.loss`. Tokens
 *   may not contain whitespace, "*" or ">".
 * - A pattern is a subject whose tokens may also be `*` (exactly one token) or, as the last
 *   token only, `>` (one or more tokens): `training.*.loss`, `training.>`.
 */

const INVALID_TOKEN_CHARS = /[\s*>]/;

/** Longest subject or pattern accepted, in characters. */
export const MAX_SUBJECT_LENGTH = 1024;

function tokens(text: string, what: string): string[] {
  if (typeof text !== "string" || text.length === 0) throw invalid(what, text, "it is empty");
  if (text.length > MAX_SUBJECT_LENGTH) throw invalid(what, text, `it is longer than ${MAX_SUBJECT_LENGTH} characters`);
  const parts = text.split(".");
  if (parts.some((token) => token.length === 0)) throw invalid(what, text, "it has an empty token");
  return parts;
}

function invalid(what: string, text: string, why: string): TransportError {
  return new TransportError("InvalidAddress", `invalid ${what} ${JSON.stringify(text)}: ${why}`, { address: String(text) });
}

/** Throws an `InvalidAddress` TransportError unless `subject` is a valid subject (no wildcards). */
export function validateSubject(subject: string): void {
  for (const token of tokens(subject, "subject")) {
    if (INVALID_TOKEN_CHARS.test(token)) throw invalid("subject", subject, `token ${JSON.stringify(token)} has whitespace or a wildcard`);
  }
}

/** Throws an `InvalidAddress` TransportError unless `pattern` is a valid pattern. */
export function validatePattern(pattern: string): void {
  const parts = tokens(pattern, "pattern");
  parts.forEach((token, index) => {
    if (token === "*") return;
    if (token === ">") {
      if (index !== parts.length - 1) throw invalid("pattern", pattern, '">" may only be the last token');
      return;
    }
    if (INVALID_TOKEN_CHARS.test(token)) throw invalid("pattern", pattern, `token ${JSON.stringify(token)} mixes a wildcard with other characters or has whitespace`);
  });
}

/** A compiled pattern: `matches(subject)` without re-parsing the pattern. */
export class SubjectPattern {
  readonly pattern: string;
  readonly #tokens: string[];
  readonly #tail: boolean;
  readonly #literal: boolean;

  /** Throws an `InvalidAddress` TransportError for an invalid pattern. */
  constructor(pattern: string) {
    validatePattern(pattern);
    this.pattern = pattern;
    const parts = pattern.split(".");
    this.#tail = parts[parts.length - 1] === ">";
    this.#tokens = this.#tail ? parts.slice(0, -1) : parts;
    this.#literal = !this.#tail && !parts.includes("*");
  }

  /** Whether the (valid) subject matches. */
  matches(subject: string): boolean {
    if (this.#literal) return subject === this.pattern;
    const parts = subject.split(".");
    const fixed = this.#tokens;
    if (this.#tail ? parts.length <= fixed.length : parts.length !== fixed.length) return false;
    for (let i = 0; i < fixed.length; i++) {
      const token = fixed[i]!;
      if (token !== "*" && token !== parts[i]) return false;
    }
    return true;
  }
}

/** Whether `subject` matches `pattern` (both assumed valid). */
export function subjectMatches(pattern: string, subject: string): boolean {
  return new SubjectPattern(pattern).matches(subject);
}

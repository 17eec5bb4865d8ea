/**
 * The subject grammar of pub/sub (docs/wire-format.md [P1]), as NATS users know it:
 *
 * - A subject is one or more non-empty tokens joined by ".": `training.epoch42.loss`. Tokens
 *   may not contain whitespace, "*" or ">".
 * - A pattern is a subject whose tokens may also be `*` (exactly one token) or, as the last
 *   token only, `>` (one or more tokens): `training.*.loss`, `training.>`.
 *
 * Pure and error-class free, so the hub (below pub/sub) matches subjects by the same rules.
 */

const INVALID_TOKEN_CHARS = /[\s*>]/;

/** Longest subject or pattern accepted, in characters. */
export const MAX_SUBJECT_LENGTH = 1024;

function tokenProblem(text: string): string | undefined {
  if (typeof text !== "string" || text.length === 0) return "it is empty";
  if (text.length > MAX_SUBJECT_LENGTH) return `it is longer than ${MAX_SUBJECT_LENGTH} characters`;
  if (text.split(".").some((token) => token.length === 0)) return "it has an empty token";
  return undefined;
}

/** Why `subject` is not a valid subject (no wildcards), or undefined when it is. */
export function subjectProblem(subject: string): string | undefined {
  const problem = tokenProblem(subject);
  if (problem !== undefined) return problem;
  for (const token of subject.split(".")) {
    if (INVALID_TOKEN_CHARS.test(token)) return `token ${JSON.stringify(token)} has whitespace or a wildcard`;
  }
  return undefined;
}

/** Why `pattern` is not a valid pattern, or undefined when it is. */
export function patternProblem(pattern: string): string | undefined {
  const problem = tokenProblem(pattern);
  if (problem !== undefined) return problem;
  const parts = pattern.split(".");
  for (let index = 0; index < parts.length; index++) {
    const token = parts[index]!;
    if (token === "*") continue;
    if (token === ">") {
      if (index !== parts.length - 1) return '">" may only be the last token';
      continue;
    }
    if (INVALID_TOKEN_CHARS.test(token)) return `token ${JSON.stringify(token)} mixes a wildcard with other characters or has whitespace`;
  }
  return undefined;
}

/** A compiled, valid pattern: `matches(subject)` without re-parsing it. */
export class SubjectMatcher {
  readonly pattern: string;
  readonly #tokens: string[];
  readonly #tail: boolean;
  readonly #literal: boolean;

  /** `pattern` must be valid (see `compile`). */
  protected constructor(pattern: string) {
    this.pattern = pattern;
    const parts = pattern.split(".");
    this.#tail = parts[parts.length - 1] === ">";
    this.#tokens = this.#tail ? parts.slice(0, -1) : parts;
    this.#literal = !this.#tail && !parts.includes("*");
  }

  /** The matcher of `pattern`, or undefined when it is not a valid pattern. */
  static compile(pattern: string): SubjectMatcher | undefined {
    return patternProblem(pattern) === undefined ? new SubjectMatcher(pattern) : undefined;
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

import { MAX_SUBJECT_LENGTH, patternProblem, SubjectMatcher, subjectProblem } from "../protocol/subject.js";
import { TransportError } from "../transport/errors.js";

/**
 * Subjects and patterns, as NATS users know them (the grammar is `protocol/subject.ts`, shared
 * with the hub): `training.epoch42.loss`; `*` matches exactly one token, a final `>` one or more.
 */
export { MAX_SUBJECT_LENGTH };

function invalid(what: string, text: string, why: string): TransportError {
  return new TransportError("InvalidAddress", `invalid ${what} ${JSON.stringify(text)}: ${why}`, { address: String(text) });
}

/** Throws an `InvalidAddress` TransportError unless `subject` is a valid subject (no wildcards). */
export function validateSubject(subject: string): void {
  const problem = subjectProblem(subject);
  if (problem !== undefined) throw invalid("subject", subject, problem);
}

/** Throws an `InvalidAddress` TransportError unless `pattern` is a valid pattern. */
export function validatePattern(pattern: string): void {
  const problem = patternProblem(pattern);
  if (problem !== undefined) throw invalid("pattern", pattern, problem);
}

/** A compiled pattern: `matches(subject)` without re-parsing the pattern. */
export class SubjectPattern extends SubjectMatcher {
  /** Throws an `InvalidAddress` TransportError for an invalid pattern. */
  constructor(pattern: string) {
    validatePattern(pattern);
    super(pattern);
  }
}

/** Whether `subject` matches `pattern` (both assumed valid). */
export function subjectMatches(pattern: string, subject: string): boolean {
  return new SubjectPattern(pattern).matches(subject);
}

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SubjectPattern, subjectMatches, validatePattern, validateSubject } from "../../src/pubsub/subject.js";

const token = fc.stringMatching(/^[a-z0-9_-]{1,6}$/);
const subject = fc.array(token, { minLength: 1, maxLength: 6 }).map((t) => t.join("."));

describe("subjects and patterns", () => {
  it("matches the documented examples", () => {
    expect(subjectMatches("training.*.loss", "training.epoch42.loss")).toBe(true);
    expect(subjectMatches("training.*.loss", "training.epoch42.accuracy")).toBe(false);
    expect(subjectMatches("training.*.loss", "training.a.b.loss")).toBe(false);
    expect(subjectMatches("training.>", "training.epoch42.loss")).toBe(true);
    expect(subjectMatches("training.>", "training")).toBe(false);
    expect(subjectMatches(">", "anything.at.all")).toBe(true);
    expect(subjectMatches("*", "one")).toBe(true);
    expect(subjectMatches("*", "one.two")).toBe(false);
    expect(subjectMatches("a.b", "a.b")).toBe(true);
    expect(subjectMatches("a.b", "a.bc")).toBe(false);
  });

  it("rejects invalid patterns and subjects with a clear error", () => {
    for (const bad of ["", "a..b", ".a", "a.", "a.>.b", "a.b*", "a b", "a.>x"]) {
      expect(() => validatePattern(bad)).toThrow(expect.objectContaining({ code: "InvalidAddress", message: expect.stringContaining("invalid pattern") }));
    }
    for (const bad of ["", "a.*", "a.>", "a..b", "a b"]) expect(() => validateSubject(bad)).toThrow(/invalid subject/);
    expect(() => validatePattern("x".repeat(2000))).toThrow(/longer than 1024/);
  });

  it("a literal pattern matches exactly itself", () => {
    fc.assert(
      fc.property(subject, subject, (a, b) => {
        expect(subjectMatches(a, b)).toBe(a === b);
      }),
    );
  });

  it("* matches exactly one token at its position", () => {
    fc.assert(
      fc.property(fc.array(token, { minLength: 1, maxLength: 6 }), fc.nat(), token, (parts, at, other) => {
        const index = at % parts.length;
        const pattern = parts.map((t, i) => (i === index ? "*" : t)).join(".");
        const replaced = parts.map((t, i) => (i === index ? other : t)).join(".");
        expect(subjectMatches(pattern, replaced)).toBe(true);
        expect(subjectMatches(pattern, `${replaced}.extra`)).toBe(false);
      }),
    );
  });

  it("prefix.> matches exactly the subjects with at least one more token", () => {
    fc.assert(
      fc.property(fc.array(token, { minLength: 1, maxLength: 4 }), fc.array(token, { maxLength: 4 }), (prefix, rest) => {
        const pattern = new SubjectPattern(`${prefix.join(".")}.>`);
        expect(pattern.matches([...prefix, ...rest].join("."))).toBe(rest.length > 0);
      }),
    );
  });
});

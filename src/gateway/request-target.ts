/**
 * The characters a request's target and authority may have, checked alike for HTTP/1.1 (request
 * line, Host) and HTTP/2 (`:path`, `:authority`, `host`), so that what the edge routes, logs or
 * hands on is what any other parser would read.
 */

/** A request target (RFC 3986; origin-form, absolute-form, `*`): visible ASCII, no space or control. */
export const TARGET = /^[\x21-\x7e]+$/;

/** An authority without userinfo (RFC 9110 §4.2.1, RFC 9113 §8.3.1): a reg-name or IP literal, and a port. */
export const AUTHORITY = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]+)(?::\d{0,5})?$/;

import { describe, expect, it } from "vitest";
import { cookieHeaderOf, sessionCookieNames, type CookieView } from "./request.js";

const view = (values: Record<string, string>): CookieView => ({ get: (name) => (Object.hasOwn(values, name) ? { value: values[name]! } : undefined) });
const names = ["__Host-sid", "sid"];

describe("cookieHeaderOf", () => {
  it("passes the request's own header through when Next's view agrees with it, duplicates and all", () => {
    const sent = "sid=planted; theme=dark; sid=real";
    expect(cookieHeaderOf(sent, view({ sid: "real", theme: "dark" }), names)).toBe(sent);
    expect(cookieHeaderOf(null, view({}), names)).toBeNull();
  });

  it("takes the view's value when a Server Action wrote the cookie before the page renders", () => {
    expect(cookieHeaderOf("sid=old; theme=dark", view({ sid: "new", theme: "dark" }), names)).toBe("sid=new; theme=dark");
    expect(cookieHeaderOf(null, view({ "__Host-sid": "new" }), names)).toBe("__Host-sid=new");
  });

  it("drops what was sent when the view cleared the cookie (a logout before the page renders)", () => {
    expect(cookieHeaderOf("sid=old; theme=dark", view({ sid: "", theme: "dark" }), names)).toBe("theme=dark");
    expect(cookieHeaderOf("sid=old", view({}), names)).toBe("");
  });

  it("reads chunks a Server Action wrote (cookie.chunks) in place of the whole cookie it deleted", () => {
    const chunked = sessionCookieNames({ cookieName: "__Host-sid", plainCookieName: "sid" });
    expect(chunked.slice(0, 4)).toEqual(["__Host-sid", "sid", "__Host-sid.0", "sid.0"]);
    expect(chunked).toHaveLength(34);
    expect(cookieHeaderOf("sid=old; theme=dark", view({ sid: "", "sid.0": "2.a", "sid.1": "b", theme: "dark" }), chunked)).toBe("sid.0=2.a; sid.1=b; theme=dark");
  });
});

import { describe, expect, it } from "vitest";
import { httpDateFromIso, isoFromHttpDate } from "./http-date.js";

describe("httpDateFromIso and isoFromHttpDate", () => {
  it("write and read Werkzeug's http_date, proleptic Gregorian, four-digit years", () => {
    const pairs: [string, string][] = [
      ["2024-01-02T03:04:05Z", "Tue, 02 Jan 2024 03:04:05 GMT"],
      ["2020-02-29T12:00:00Z", "Sat, 29 Feb 2020 12:00:00 GMT"],
      ["0100-01-02T03:04:05Z", "Sat, 02 Jan 0100 03:04:05 GMT"],
      ["0999-01-02T03:04:05Z", "Wed, 02 Jan 0999 03:04:05 GMT"],
      ["9999-12-31T23:59:59Z", "Fri, 31 Dec 9999 23:59:59 GMT"],
    ];
    for (const [iso, http] of pairs) {
      expect(httpDateFromIso(iso)).toBe(http);
      expect(isoFromHttpDate(http)).toBe(iso);
    }
  });

  it("reads a year written below 100 as Werkzeug's parse_date does (69-99: 19xx, 0-68: 20xx)", () => {
    expect(isoFromHttpDate("Sun, 02 Jan 0050 03:04:05 GMT")).toBe("2050-01-02T03:04:05Z");
    expect(isoFromHttpDate("Fri, 02 Jan 0099 03:04:05 GMT")).toBe("1999-01-02T03:04:05Z");
    expect(httpDateFromIso("0050-01-02T03:04:05Z")).toBeUndefined();
  });

  it("refuses a wrong weekday, an impossible date or time, and any other layout", () => {
    for (const text of [
      "Mon, 02 Jan 2024 03:04:05 GMT",
      "Fri, 30 Feb 2024 03:04:05 GMT",
      "Tue, 02 Jan 2024 24:00:00 GMT",
      "Tue, 02 Jan 2024 23:59:60 GMT",
      "Tue, 2 Jan 2024 03:04:05 GMT",
      "Tuesday, 02-Jan-24 03:04:05 GMT",
      "Tue, 02 Jan 2024 03:04:05 UTC",
      "2024-01-02T03:04:05Z",
    ]) {
      expect(isoFromHttpDate(text), text).toBeUndefined();
    }
    for (const iso of ["2024-02-30T00:00:00Z", "2024-01-02T03:04:05.000Z", "2024-01-02 03:04:05Z", "10000-01-01T00:00:00Z"]) expect(httpDateFromIso(iso), iso).toBeUndefined();
  });
});

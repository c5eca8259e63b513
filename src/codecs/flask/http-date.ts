// Flask's datetime tag text (Werkzeug's http_date and parse_date) to and from ISO 8601 in UTC, to the second.

import { datetimeYears, isoSecondRegExp } from "./values.js";

/** Werkzeug's `http_date`: RFC 9110 §5.6.7 IMF-fixdate, `Tue, 02 Jan 2024 03:04:05 GMT`. */
const httpDateRegExp = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;

const weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"] as const;
const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"] as const;

/**
 * `YYYY-MM-DDTHH:MM:SSZ` for an IMF-fixdate whose weekday matches its date, or undefined. A year written below 100
 * is read as Werkzeug's `parse_date` reads it (email.utils: 69-99 are 19xx, 0-68 are 20xx), so the value means
 * what it means to the Flask app.
 *
 * @example
 * isoFromHttpDate("Tue, 02 Jan 2024 03:04:05 GMT"); // "2024-01-02T03:04:05Z"
 */
export function isoFromHttpDate(text: string): string | undefined {
  const match = httpDateRegExp.exec(text);
  if (match === null) return undefined;
  const [, weekday, day, month, year, hour, minute, second] = match.map(String);
  const written = Number(year);
  const date = calendarDate(written, months.indexOf(month as (typeof months)[number]), Number(day), Number(hour), Number(minute), Number(second));
  if (date === undefined || written === 0 || weekdays[date.getUTCDay()] !== weekday) return undefined;
  const read = written >= 100 ? written : written + (written > 68 ? 1900 : 2000);
  return `${String(read).padStart(4, "0")}-${String(date.getUTCMonth() + 1).padStart(2, "0")}-${day}T${hour}:${minute}:${second}Z`;
}

/**
 * The IMF-fixdate Werkzeug's `http_date` writes for an ISO `YYYY-MM-DDTHH:MM:SSZ` moment, or undefined when the text
 * is not one or its year is one Flask would not read back as written (outside 100 to 9999).
 *
 * @example
 * httpDateFromIso("2024-01-02T03:04:05Z"); // "Tue, 02 Jan 2024 03:04:05 GMT"
 */
export function httpDateFromIso(iso: string): string | undefined {
  const match = isoSecondRegExp.exec(iso);
  if (match === null) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  if (year < datetimeYears.min || year > datetimeYears.max) return undefined;
  const date = calendarDate(year, month - 1, day, hour, minute, second);
  if (date === undefined) return undefined;
  return `${weekdays[date.getUTCDay()]}, ${match[3]} ${months[month - 1]} ${match[1]} ${match[4]}:${match[5]}:${match[6]} GMT`;
}

/**
 * The moment these calendar fields name in UTC (proleptic Gregorian, as Python's datetime), or undefined when one is
 * out of range (February 30, hour 24, a leap second: Python's datetime refuses them all).
 */
function calendarDate(year: number, monthIndex: number, day: number, hour: number, minute: number, second: number): Date | undefined {
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0-99 as 1900-1999.
  date.setUTCFullYear(year, monthIndex, day);
  date.setUTCHours(hour, minute, second, 0);
  const exact =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === monthIndex &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second;
  return exact ? date : undefined;
}

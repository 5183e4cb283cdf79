// The date forms every entry point accepts (the GraphQL DateTime scalar, the audit export
// route's query string; the admin CLI can use the same), and the sentence that says so.
//
//   2030-03-31T12:00:00Z, 2030-03-31T14:00:00.5+02:00   an RFC 3339 date-time, with its offset
//   2030-03-31T12:00Z                                  seconds may be left out
//   2030-03-31                                          a date: its midnight UTC
//
// A time without an offset is refused: it would mean the server's local time.

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?([Zz]|[+-]\d{2}:\d{2}))?$/;

/** What a client is told when a date does not parse. */
export const DATE_TIME_FORMS =
  "an ISO 8601 date-time with a time zone, e.g. 2030-03-31T12:00:00Z or 2030-03-31T14:00:00+02:00, or a date, e.g. 2030-03-31 (midnight UTC)";

/** The instant `text` names, or null when it is not one of the accepted forms (or not a real date). */
export function parseDateTime(text: string): Date | null {
  const match = DATE_TIME.exec(text);
  if (!match) return null;
  const [, year, month, day, hour, minute, second, , zone] = match;
  const date = new Date(hour === undefined ? `${year}-${month}-${day}T00:00:00Z` : text.toUpperCase());
  if (Number.isNaN(date.getTime())) return null;
  // Date accepts 2030-02-30 as March 2nd: the calendar date must survive the round trip
  const calendar = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  if (calendar.getUTCFullYear() !== Number(year) || calendar.getUTCMonth() !== Number(month) - 1 || calendar.getUTCDate() !== Number(day)) {
    return null;
  }
  if (hour !== undefined && (Number(hour) > 23 || Number(minute) > 59 || Number(second ?? 0) > 59)) return null;
  if (zone !== undefined && zone.length > 1 && (Number(zone.slice(1, 3)) > 23 || Number(zone.slice(4)) > 59)) return null;
  return date;
}

// Audit log export formats (CONTRACT.md §5). Pure functions: one row in, one line out.
import type { AuditEventRow } from "../../db/rows.js";

/** An audit event row (src/db/rows.ts), as the formats name it. */
export type AuditRow = AuditEventRow;

export const CSV_HEADER =
  "Timestamp,Name,Login,Event,Description,SourceIP,RequireOrgAdmin,RequireStackAdmin,AuthenticationFailure,TokenID,TokenName\r\n";

/** RFC 3339 UTC, e.g. 2026-11-28T09:30:00.000Z. */
const timestamp = (at: Date) => at.toISOString();

/**
 * One RFC 4180 cell: quoted when it holds a comma, quote or line break. A cell that a
 * spreadsheet would run as a formula (= + - @ tab CR first) gets a leading apostrophe.
 */
export function csvCell(value: string | boolean | null | undefined): string {
  if (value === null || value === undefined) return "";
  let text = typeof value === "boolean" ? String(value) : value;
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvLine(row: AuditRow): string {
  return (
    [
      timestamp(row.timestamp),
      row.userName,
      row.userLogin,
      row.event,
      row.description,
      row.sourceIp,
      row.requireOrgAdmin,
      row.requireStackAdmin,
      row.authFailure,
      row.tokenId,
      row.tokenName,
    ]
      .map(csvCell)
      .join(",") + "\r\n"
  );
}

/** A line break anywhere becomes the two characters \n: one event is always one line. */
const LINE_BREAK = /\r\n|\r|\n/g;

/** CEF header field: \ and | escaped. */
export const cefHeader = (value: string): string => value.replaceAll("\\", "\\\\").replaceAll("|", "\\|").replace(LINE_BREAK, "\\n");

/** CEF extension value: \ and = escaped. */
export const cefValue = (value: string | null | undefined): string =>
  (value ?? "").replaceAll("\\", "\\\\").replaceAll("=", "\\=").replace(LINE_BREAK, "\\n");

export const cefSeverity = (row: Pick<AuditRow, "authFailure" | "requireOrgAdmin">): number =>
  row.authFailure ? 7 : row.requireOrgAdmin ? 5 : 3;

export function cefLine(row: AuditRow): string {
  const extensions: Array<[string, string | null]> = [
    ["rt", String(row.timestamp.getTime())],
    ["suser", row.userLogin],
    ["src", row.sourceIp],
    ["orgID", row.organizationId],
    ["userID", row.userId],
    ["tokenID", row.tokenId],
    ["tokenName", row.tokenName],
    ["requireOrgAdmin", String(row.requireOrgAdmin)],
    ["requireStackAdmin", String(row.requireStackAdmin)],
    ["authenticationFailure", String(row.authFailure)],
    ["requestClientApplication", row.userAgent],
  ];
  const header = ["CEF:0", "Gatehouse", "Gatehouse", "1.0", cefHeader(row.event), cefHeader(row.description), String(cefSeverity(row))];
  return `${header.join("|")}|${extensions.map(([key, value]) => `${key}=${cefValue(value)}`).join(" ")}\n`;
}

export const EXPORT_FORMATS = {
  CSV: { extension: "csv", contentType: "text/csv; charset=utf-8", header: CSV_HEADER, line: csvLine },
  CEF: { extension: "cef", contentType: "text/plain; charset=utf-8", header: "", line: cefLine },
} as const;
export type ExportFormat = keyof typeof EXPORT_FORMATS;

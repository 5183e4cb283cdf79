// One HTTP attempt of a webhook delivery: POST, no redirects followed, a hard timeout, the
// response body capped at 4 KiB. By default the SSRF guard (request-filtering-agent) refuses
// loopback, private, link-local, CGNAT, multicast and other non-public destinations,
// checked on the address the name resolves to at connect time (so DNS rebinding does not
// get through). Error texts never carry a resolved address, and with the guard on a name
// that does not resolve reads like a refused address ("destination not allowed").
import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import { RequestFilteringHttpAgent, RequestFilteringHttpsAgent } from "request-filtering-agent";

export const MAX_RESPONSE_BODY_BYTES = 4096;
export const DESTINATION_NOT_ALLOWED = "destination not allowed";

export interface SendResult {
  readonly responseCode: number | null;
  readonly responseHeaders: Record<string, string> | null;
  readonly responseBody: string | null;
  readonly error: string | null;
  /** Milliseconds from sending to the response (or the failure). */
  readonly duration: number;
}

export interface SenderOptions {
  readonly allowPrivateNetworks: boolean;
  readonly timeoutMs: number;
  /** How host names are resolved; default: the system's (dns.lookup). Tests resolve without DNS traffic. */
  readonly lookup?: LookupFunction;
}

/**
 * With the guard on, a name that does not resolve gets the same answer as an address that is
 * refused: "host not found" beside "destination not allowed" would tell an organization
 * whether an internal host name exists.
 */
function describeFailure(error: NodeJS.ErrnoException, timeoutMs: number, timedOut: boolean, guarded: boolean): string {
  if (timedOut) return `no response within ${timeoutMs} ms`;
  if (/is not allowed/.test(error.message)) return DESTINATION_NOT_ALLOWED;
  switch (error.code) {
    case "ECONNREFUSED":
      return "connection refused";
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "EAI_FAIL":
    case "EAI_NODATA":
    case "EAI_NONAME":
      return guarded ? DESTINATION_NOT_ALLOWED : "host not found";
    case "ECONNRESET":
      return "connection reset";
    case "CERT_HAS_EXPIRED":
    case "DEPTH_ZERO_SELF_SIGNED_CERT":
    case "SELF_SIGNED_CERT_IN_CHAIN":
    case "UNABLE_TO_VERIFY_LEAF_SIGNATURE":
    case "ERR_TLS_CERT_ALTNAME_INVALID":
      return "TLS certificate not trusted";
    default:
      return `request failed (${error.code ?? "error"})`;
  }
}

export class WebhookSender {
  private readonly agents: { http: http.Agent; https: https.Agent };

  constructor(private readonly options: SenderOptions) {
    this.agents = options.allowPrivateNetworks
      ? { http: new http.Agent({ keepAlive: false }), https: new https.Agent({ keepAlive: false }) }
      : { http: new RequestFilteringHttpAgent({ keepAlive: false }), https: new RequestFilteringHttpsAgent({ keepAlive: false }) };
  }

  /** The agent a URL would use: what the address check alone is tested through. */
  agentFor(url: URL): http.Agent {
    return url.protocol === "https:" ? this.agents.https : this.agents.http;
  }

  send(target: string, body: string, headers: Record<string, string>): Promise<SendResult> {
    const url = new URL(target);
    const client = url.protocol === "https:" ? https : http;
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const { timeoutMs } = this.options;
    return new Promise((resolve) => {
      let timedOut = false;
      let settled = false;
      const finish = (result: Omit<SendResult, "duration">) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ ...result, duration: elapsed() });
      };
      const request = client.request(url, {
        method: "POST",
        agent: this.agentFor(url),
        ...(this.options.lookup ? { lookup: this.options.lookup } : {}),
        headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
      });
      const timer = setTimeout(() => {
        timedOut = true;
        request.destroy(new Error("timeout"));
      }, timeoutMs);
      request.on("error", (error: NodeJS.ErrnoException) =>
        finish({
          responseCode: null,
          responseHeaders: null,
          responseBody: null,
          error: describeFailure(error, timeoutMs, timedOut, !this.options.allowPrivateNetworks),
        }),
      );
      request.on("response", (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const responseHeaders = Object.fromEntries(
          Object.entries(response.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : String(v ?? "")]),
        );
        const done = () =>
          finish({
            responseCode: response.statusCode ?? null,
            responseHeaders,
            responseBody: Buffer.concat(chunks).subarray(0, MAX_RESPONSE_BODY_BYTES).toString("utf8"),
            error: null,
          });
        response.on("data", (chunk: Buffer) => {
          if (size >= MAX_RESPONSE_BODY_BYTES) return;
          chunks.push(chunk);
          size += chunk.length;
          if (size >= MAX_RESPONSE_BODY_BYTES) {
            done();
            response.destroy();
          }
        });
        response.on("end", done);
        response.on("error", done);
      });
      request.end(body);
    });
  }

  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}

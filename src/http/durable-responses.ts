// The HTTP half of SQLite's group commit (src/db/sqlite/group-commit.ts): a response leaves only once what
// its request wrote or read on the server's connection is committed. If the commit fails,
// the response becomes a masked 500: a client is never told of a change that did not last.
import type { FastifyInstance } from "fastify";
import type { PendingCommits } from "../db/store.js";

declare module "fastify" {
  interface FastifyRequest {
    /** GroupCommit.sequence when the request arrived. */
    commitSequence: number;
  }
}

const COMMIT_FAILED = JSON.stringify({ errors: [{ message: "Internal server error", extensions: { code: "INTERNAL_SERVER_ERROR" } }] });

/** Headers that describe the exchange rather than the answer (security headers, the request id; CORS too). */
const KEPT_ON_FAILURE = new Set([
  "x-request-id",
  "content-security-policy",
  "x-content-type-options",
  "x-frame-options",
  "referrer-policy",
  "vary",
]);

export function registerDurableResponses(fastify: FastifyInstance, commits: PendingCommits): void {
  fastify.decorateRequest("commitSequence", 0);
  fastify.addHook("onRequest", (request, _reply, done) => {
    request.commitSequence = commits.sequence;
    done();
  });
  fastify.addHook("onSend", (request, reply, payload, done) => {
    const pending = commits.settled(request.commitSequence);
    if (pending === null) return done(null, payload);
    pending.then(
      () => done(null, payload),
      (err: unknown) => {
        request.log.error({ err }, "the commit of this request's transaction group failed: answering 500");
        if (payload !== null && typeof payload === "object" && "destroy" in payload && typeof payload.destroy === "function") {
          (payload as { destroy(): void }).destroy(); // a stream that will not be sent
        }
        // what described the answer that is not sent goes with it (an export's file name
        // would have the error saved as the CSV file)
        for (const name of Object.keys(reply.getHeaders())) {
          if (!KEPT_ON_FAILURE.has(name) && !name.startsWith("access-control-")) reply.removeHeader(name);
        }
        void reply.code(500).type("application/json; charset=utf-8");
        done(null, COMMIT_FAILED);
      },
    );
  });
}

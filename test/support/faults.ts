// Fault injection on a test server's database, the same on both backends: a statement that
// fails when the server writes a given audit event (to check that the change made in the same
// transaction is rolled back with it).
import type { TestServer } from "./test-server.js";

/** From now on, inserting the audit event `event` fails with "injected fault at /secret/path"; call the result to stop. */
export async function failAuditWrite(server: TestServer, event: string): Promise<() => Promise<void>> {
  if (!/^[a-z-]+$/.test(event)) throw new Error(`not an event id: ${event}`);
  if (server.backend === "sqlite") {
    await server.sql(
      `CREATE TEMP TRIGGER inject_fault BEFORE INSERT ON audit_events WHEN NEW.event = '${event}'
       BEGIN SELECT RAISE(ABORT, 'injected fault at /secret/path'); END`,
    );
    return async () => {
      await server.sql("DROP TRIGGER temp.inject_fault");
    };
  }
  await server.sql(`CREATE OR REPLACE FUNCTION inject_fault() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'injected fault at /secret/path'; END $$`);
  await server.sql(
    `CREATE TRIGGER inject_fault BEFORE INSERT ON audit_events FOR EACH ROW WHEN (NEW.event = '${event}') EXECUTE FUNCTION inject_fault()`,
  );
  return async () => {
    await server.sql("DROP TRIGGER inject_fault ON audit_events");
  };
}

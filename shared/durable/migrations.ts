/** Applies, once each and in order, the migrations a Durable Object's SQLite has not seen yet. Never edit an applied one. */
export function migrate(sql: SqlStorage, migrations: readonly string[]): void {
	sql.exec("CREATE TABLE IF NOT EXISTS _migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
	const row = sql.exec<{ v: number | null }>("SELECT MAX(version) AS v FROM _migrations").one();
	for (let version = (row.v ?? 0) + 1; version <= migrations.length; version++) {
		sql.exec(migrations[version - 1] as string);
		sql.exec("INSERT INTO _migrations (version, applied_at) VALUES (?, ?)", version, Date.now());
	}
}

/** Tables every message-handling Durable Object has: the outbox, the inbox and the timers behind its one alarm. */
export const MESSAGING_TABLES = `
CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL, body TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0);
CREATE TABLE inbox (id TEXT PRIMARY KEY, handled_at INTEGER NOT NULL, replies TEXT NOT NULL);
CREATE TABLE timers (key TEXT PRIMARY KEY, due_at INTEGER NOT NULL, payload TEXT NOT NULL);
`;

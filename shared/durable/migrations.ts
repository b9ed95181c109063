/**
 * Brings a Durable Object's SQLite to the current schema. An object created before `current` was
 * declared (or by a class that declares none) applies, once each and in order, the migrations it
 * has not seen yet; never edit an applied one. A fresh object is created at once from `current`,
 * the schema the migrations end in, and records their count: a new object (one per order) pays for
 * its tables once, not for every step of their history. A workerd test checks both give the same columns.
 * The two differ below the columns (`current` keys its tables WITHOUT ROWID, numbers without
 * AUTOINCREMENT, leaves out indexes): a later migration must not rely on a rowid or an index that
 * only one of them has. An object that prunes its inbox by rowid declares no `current`.
 */
export function migrate(sql: SqlStorage, migrations: readonly string[], current?: string): void {
	if (current !== undefined && isFresh(sql)) {
		execEach(sql, `CREATE TABLE _migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL); ${current}`);
		sql.exec("INSERT INTO _migrations (version, applied_at) VALUES (?, ?)", migrations.length, Date.now());
		return;
	}
	sql.exec("CREATE TABLE IF NOT EXISTS _migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
	const row = sql.exec<{ v: number | null }>("SELECT MAX(version) AS v FROM _migrations").one();
	for (let version = (row.v ?? 0) + 1; version <= migrations.length; version++) {
		execEach(sql, migrations[version - 1] as string);
		sql.exec("INSERT INTO _migrations (version, applied_at) VALUES (?, ?)", version, Date.now());
	}
}

/**
 * Runs a schema's statements one at a time. A cursor reports the rows written by the last statement
 * of its exec only, so a schema run in one exec would be counted short. Schemas hold no `;` but
 * between statements (no triggers, no literals with one).
 */
function execEach(sql: SqlStorage, schema: string): void {
	for (const statement of schema.split(";")) if (statement.trim()) sql.exec(statement);
}

/** Whether the object has no tables yet: it was never written to. */
export function isFresh(sql: SqlStorage): boolean {
	return sql.exec("SELECT 1 FROM sqlite_master WHERE name = '_migrations'").toArray().length === 0;
}

/** Tables every message-handling Durable Object has: the outbox, the inbox and the timers behind its one alarm. */
export const MESSAGING_TABLES = `
CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL, body TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0);
CREATE TABLE inbox (id TEXT PRIMARY KEY, handled_at INTEGER NOT NULL, replies TEXT NOT NULL);
CREATE TABLE timers (key TEXT PRIMARY KEY, due_at INTEGER NOT NULL, payload TEXT NOT NULL);
`;

/**
 * The same tables as a fresh object creates them, each write one row: keyed by their text key
 * (WITHOUT ROWID, no second index to keep), and an outbox numbered without AUTOINCREMENT's counter
 * row (a relayed row is gone before a number is given again). Its inbox has no rowid, so an object
 * that prunes its inbox by age keeps MESSAGING_TABLES.
 */
export const MESSAGING_TABLES_CURRENT = `
CREATE TABLE outbox (seq INTEGER PRIMARY KEY, queue TEXT NOT NULL, body TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0);
CREATE TABLE inbox (id TEXT PRIMARY KEY, handled_at INTEGER NOT NULL, replies TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE timers (key TEXT PRIMARY KEY, due_at INTEGER NOT NULL, payload TEXT NOT NULL) WITHOUT ROWID;
`;

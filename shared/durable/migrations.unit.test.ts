import { describe, expect, it } from "vitest";
import { migrate } from "./migrations";

/** An object's SQL as migrate() sees it: every exec recorded; `tables` says whether it has any yet. */
function fakeSql(tables: boolean) {
	const execs: string[] = [];
	const sql = {
		exec(query: string) {
			execs.push(query.trim());
			return {
				toArray: () => (tables && query.includes("sqlite_master") ? [{ 1: 1 }] : []),
				one: () => ({ v: null }),
				rowsWritten: 0,
			};
		},
	} as unknown as SqlStorage;
	return { sql, execs };
}

// A cursor reports the rows written by the last statement of its exec only: one statement per exec
// is what lets every statement's rows be counted.
describe("migrate runs one statement per exec", () => {
	const single = (execs: string[]) => execs.filter((q) => q.replace(/;$/, "").includes(";"));

	it("a fresh object's current schema", () => {
		const { sql, execs } = fakeSql(false);
		migrate(sql, ["CREATE TABLE a (x)", "ALTER TABLE a ADD COLUMN y"], "CREATE TABLE a (x, y);\nCREATE TABLE b (z);");
		expect(single(execs)).toEqual([]);
		expect(execs.filter((q) => q.startsWith("CREATE TABLE"))).toEqual([
			"CREATE TABLE _migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
			"CREATE TABLE a (x, y)",
			"CREATE TABLE b (z)",
		]);
	});

	it("an older object's migrations", () => {
		const { sql, execs } = fakeSql(true);
		migrate(
			sql,
			["CREATE TABLE a (x); CREATE INDEX a_x ON a (x)", "ALTER TABLE a ADD COLUMN y"],
			"CREATE TABLE a (x, y);",
		);
		expect(single(execs)).toEqual([]);
		expect(execs).toContain("CREATE INDEX a_x ON a (x)");
		expect(execs).toContain("ALTER TABLE a ADD COLUMN y");
	});
});

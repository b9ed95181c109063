import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { remadeByMigrations } from "../../../shared/testing/schema";

// A fresh object starts from the current schema; an older one got there by the migrations. Both
// must hold the same columns, or the code would meet a column one of them lacks.
describe("the order Worker's saga objects: a fresh schema and the migrated one", () => {
	it("an order's object has the same columns either way (an older one keeps its retired history table)", async () => {
		const { fresh, migrated } = await remadeByMigrations(env.ORDER_SAGA.get(env.ORDER_SAGA.idFromName("schema-1")));
		const { history, ...rest } = migrated;
		expect(history).toBeDefined();
		expect(fresh).toEqual(rest);
	});

	it("a return's object has the same columns either way", async () => {
		const { fresh, migrated } = await remadeByMigrations(env.RETURN_SAGA.get(env.RETURN_SAGA.idFromName("schema-2")));
		expect(Object.keys(fresh)).toContain("return_request");
		expect(fresh).toEqual(migrated);
	});
});

import { env } from "cloudflare:test";
import { expect, it } from "vitest";
import { remadeByMigrations } from "../../../shared/testing/schema";

it("an order's payment has the same columns whether fresh or brought there by the migrations", async () => {
	const { fresh, migrated } = await remadeByMigrations(env.PAYMENTS.get(env.PAYMENTS.idFromName("schema")));
	expect(Object.keys(fresh)).toEqual(expect.arrayContaining(["payment", "refunds", "outbox", "inbox", "timers"]));
	expect(fresh).toEqual(migrated);
});

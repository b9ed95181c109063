import { env } from "cloudflare:test";
import { expect, it } from "vitest";
import { remadeByMigrations } from "../../../shared/testing/schema";

it("an order's shipment has the same columns whether fresh or brought there by the migrations", async () => {
	const { fresh, migrated } = await remadeByMigrations(env.SHIPMENTS.get(env.SHIPMENTS.idFromName("schema")));
	expect(Object.keys(fresh)).toEqual(
		expect.arrayContaining(["shipment", "return_pickup", "outbox", "inbox", "timers"]),
	);
	expect(fresh).toEqual(migrated);
});

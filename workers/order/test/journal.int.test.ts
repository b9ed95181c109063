import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { remadeByMigrations } from "../../../shared/testing/schema";
import { deliver, draft, place, reserved, saga } from "./support";

const journalRows = (orderId: string) =>
	runInDurableObject(
		saga(orderId),
		(_: unknown, state: DurableObjectState) =>
			state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM journal").one().n,
	);

describe("OrderSaga history, one row per decision", () => {
	it("writes each decision's entries as one row, and lists them in order with the decision that made them", async () => {
		const orderId = await place();
		const placed = await saga(orderId).history();
		// Placing decides many things at once (status, start, three commands and their compensations): one row.
		expect(placed.length).toBeGreaterThan(4);
		expect(await journalRows(orderId)).toBe(1);
		expect(new Set(placed.map((e) => e.decision))).toEqual(new Set([1]));

		await deliver([reserved(orderId)]);
		expect(await journalRows(orderId)).toBe(2);
		const entries = await saga(orderId).history();
		expect(entries.slice(0, placed.length)).toEqual(placed);
		expect(entries.slice(placed.length).map((e) => [e.decision, e.kind, e.name])).toEqual([
			[2, "reply", "inventory.stock-reserved"],
		]);
		expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => i + 1));
	});

	it("is the inbox of the replies it applied: a repeat is dropped, with no inbox row of its own", async () => {
		const orderId = await place();
		await deliver([reserved(orderId)]);
		const before = await saga(orderId).history();
		await deliver([reserved(orderId)]);
		expect(await saga(orderId).history()).toEqual(before);
		const rows = await runInDurableObject(saga(orderId), (_: unknown, state: DurableObjectState) => ({
			inbox: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM inbox").one().n,
			causes: state.storage.sql
				.exec<{ cause: string }>("SELECT cause FROM journal WHERE cause IS NOT NULL")
				.toArray()
				.map((r) => r.cause),
		}));
		expect(rows).toEqual({ inbox: 0, causes: [reserved(orderId).id] });
	});

	it("reads the one-row-per-entry history of an order placed before the journal first", async () => {
		const d = draft();
		// An object made when the history table was all there was (migration 1), with an entry in it.
		await remadeByMigrations(saga(d.orderId), {
			upTo: 2,
			before: (sql) =>
				sql.exec(
					"INSERT INTO history (at, kind, name, message_id, causation_id, trace_id, detail) VALUES (?, 'transition', 'earlier', NULL, NULL, NULL, NULL)",
					"2026-01-01T00:00:00.000Z",
				),
		});
		await place(d);
		const entries = await saga(d.orderId).history();
		expect(entries[0]).toMatchObject({ seq: 1, decision: 1, kind: "transition", name: "earlier" });
		expect(new Set(entries.slice(1).map((e) => e.decision))).toEqual(new Set([2]));
	});
});

import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Envelope } from "../../../shared/envelope";
import { message } from "../../../shared/testing/messages";
import { tapService } from "../../../shared/testing/queues";
import { relayDone } from "../../../shared/testing/workerd";
import { draft, place, saga, view } from "./support";

/** A context that answers each command at once with its success reply. */
const succeeds: Record<string, string> = {
	"inventory.reserve-line": "inventory.stock-reserved",
	"billing.authorize-payment": "billing.payment-authorized",
	"shipping.schedule-pickup": "shipping.pickup-scheduled",
	"billing.capture-payment": "billing.payment-captured",
	"inventory.commit-line": "inventory.stock-committed",
	"shipping.confirm-pickup": "shipping.pickup-confirmed",
};
const answer = (command: Envelope) => {
	const type = succeeds[command.type];
	const payload = { orderId: command.correlationId, amount: 2500, pickupId: "p", invoiceId: "inv" };
	return type ? [message(type, payload, { id: `${command.id}>${type}`, causationId: command.id })] : [];
};

const journal = (orderId: string) =>
	runInDurableObject(saga(orderId), (_: unknown, state: DurableObjectState) =>
		state.storage.sql
			.exec<{ seq: number; cause: string | null }>("SELECT seq, cause FROM journal ORDER BY seq")
			.toArray()
			.map((r) => ({ ...r })),
	);

describe("OrderSaga, replies answered by RPC", () => {
	it("applies the replies of commands sent together as one decision: stock, payment and pickup at once, then the three after the pivot", async () => {
		const d = draft();
		for (const binding of ["INVENTORY", "BILLING", "SHIPPING"]) await tapService(saga(d.orderId), binding, { answer });
		await place(d);
		// The placement answered after the first pass; the three after the pivot went on behind it.
		await relayDone(saga(d.orderId));

		expect((await view(d.orderId)).saga).toMatchObject({ phase: "completed" });
		const rows = await journal(d.orderId);
		// Placing, then one decision for the three replies before the pivot, one for the three after it.
		expect(rows).toHaveLength(3);
		expect(JSON.parse(rows[1]?.cause ?? "[]")).toHaveLength(3);
		expect(JSON.parse(rows[2]?.cause ?? "[]")).toHaveLength(3);
		const history = await saga(d.orderId).history();
		expect(history.filter((e) => e.kind === "reply").map((e) => e.decision)).toEqual([2, 2, 2, 3, 3, 3]);
		expect(history.filter((e) => e.kind === "ignored")).toEqual([]);
	});
});

import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { message } from "../../../shared/testing/messages";
import { tapQueue } from "../../../shared/testing/queues";
import { timers } from "../../../shared/testing/time";
import { shardFor } from "../../../shared/topology";
import { deliver, draft, place, saga, skipOrderTime, throughPivot } from "./support";

describe("OrderSaga news", () => {
	it("tells everything once more after it has been quiet, with the same ids, so a lost event is not lost for good", async () => {
		const orderId = await place();
		await throughPivot(orderId);
		const billing = await tapQueue(saga(orderId), shardFor("billing-events", orderId).producer);
		const readModel = await tapQueue(saga(orderId), shardFor("order-read-model", orderId).producer);
		expect(Object.keys(await timers(saga(orderId)))).toContain("news-watch");

		// Skip to the news watch (the saga's own deadlines come later in this project's settings).
		while ((await timers(saga(orderId)))["news-watch"] !== undefined) await skipOrderTime(orderId);
		const told = (q: { sent: unknown[] }) => q.sent.map((m) => (m as { id: string; type: string }).id);
		expect(told(billing)).toEqual([`${orderId}.order.confirmed`]);
		// The read model keeps only the newest news: told once more, it hears the last status reached, not every one.
		expect(told(readModel).at(-1)).toBe(`${orderId}.order.confirmed`);
		expect(told(readModel)).not.toContain(`${orderId}.order.placed`);
		// Once told again, it waits for news of its own before it tells anything more.
		expect((await timers(saga(orderId)))["news-watch"]).toBeUndefined();
		// News told again keeps its revision, so the order's next change is still newer for the read model.
		await deliver([message("shipping.picked-up", { orderId })]);
		const revisions = readModel.sent.map((m) => (m as { payload: { revision: number } }).payload.revision);
		expect(revisions.at(-1)).toBeGreaterThan(Math.max(...revisions.slice(0, -1)));
		expect((await timers(saga(orderId)))["news-watch"]).toBeDefined();
	});

	it("keeps no watch when NEWS_REPUBLISH_MS is 0, as deployed: nothing wakes the order to tell its news again", async () => {
		const d = draft();
		await runInDurableObject(saga(d.orderId), (instance: unknown) => {
			const object = instance as { env: Record<string, unknown> };
			object.env = { ...object.env, NEWS_REPUBLISH_MS: "0" };
		});
		await place(d);
		await throughPivot(d.orderId);
		await deliver([message("shipping.picked-up", { orderId: d.orderId })]);
		expect(Object.keys(await timers(saga(d.orderId)))).not.toContain("news-watch");
	});
});

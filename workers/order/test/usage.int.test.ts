import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { message, testOrderId } from "../../../shared/testing/messages";
import { deliver as deliverBatch } from "../../../shared/testing/workerd";
import { shardFor } from "../../../shared/topology";
import worker from "../src/index";
import { call, place, summary } from "./support";

const counters = async () => (await (await call("GET", "/admin/usage")).json()) as Record<string, number>;
const moved = (before: Record<string, number>, after: Record<string, number>, key: string) =>
	(after[key] ?? 0) - (before[key] ?? 0);

describe("the usage counters the capacity model reads", () => {
	it("count object requests by the object's class and queue operations by queue", async () => {
		const before = await counters();
		const placed = await place();
		const orderId = testOrderId(901);
		const events = [1, 2, 3].map((revision) =>
			message("order.summary-changed", summary(orderId, revision, "pending", "running", "cust-usage"), {
				id: `${orderId}.summary.${revision}`,
			}),
		);
		await deliverBatch(worker, env, "order-read-model", events);
		const after = await counters();

		expect(moved(before, after, "doRequests.OrderSaga")).toBeGreaterThanOrEqual(1);
		// Per shard: writes by the producer binding of the placed order's shard, reads by the delivered order's shard.
		expect(moved(before, after, `queueWrites.${shardFor("order-read-model", placed).producer}`)).toBeGreaterThanOrEqual(
			1,
		);
		const shard = shardFor("order-read-model", orderId).queue;
		expect(moved(before, after, `queueReads.${shard}`)).toBe(3);
		expect(moved(before, after, `queueBatches.${shard}`)).toBe(1);
		// One D1 batch for the whole queue batch, no object request.
		expect(moved(before, after, "d1Batches")).toBe(1);
		// The split adds up to the totals it splits.
		const split = (prefix: string) =>
			Object.keys(after)
				.filter((k) => k.startsWith(prefix))
				.reduce((sum, k) => sum + moved(before, after, k), 0);
		expect(split("doRequests.")).toBe(moved(before, after, "doRequests"));
		expect(split("queueReads.")).toBe(moved(before, after, "queueReads"));
	});
});

import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { experimental_readRawConfig } from "wrangler";
import { EVENT_QUEUES, QUEUES, queueOfShard, shardFor, shardsOf } from "../../shared/topology.ts";
import { shardProblems } from "./queue-shards.ts";
import { ROOT } from "./stack.ts";
import { queuesIn, WORKERS } from "./workers.ts";

type Table = Record<string, unknown>;
const raw = (file: string) => experimental_readRawConfig({ config: resolve(ROOT, file) }).rawConfig as Table;
const committed = () => Object.fromEntries(WORKERS.map((w) => [w.name, raw(w.config)]));
const queues = (config: Table) => config.queues as { producers: Table[]; consumers: Table[] };

/** A copy of the committed configs with one Worker's queue section changed. */
function changed(worker: string, change: (q: { producers: Table[]; consumers: Table[] }) => void) {
	const configs = structuredClone(committed());
	change(queues(configs[worker] as Table));
	return configs;
}

describe("the event queues' shards", () => {
	it("are the queue itself and <queue>-<i>, bound as <PRODUCER>_<i>, as many as the topology says", () => {
		expect(shardsOf("order-read-model")).toHaveLength(10);
		expect(shardsOf("order-events")).toHaveLength(6);
		expect(shardsOf("billing-events")).toHaveLength(2);
		expect(shardsOf("billing-events")).toEqual([
			{ queue: "billing-events", producer: "BILLING_EVENTS" },
			{ queue: "billing-events-1", producer: "BILLING_EVENTS_1" },
		]);
		expect(shardsOf("inventory-commands")).toEqual([{ queue: "inventory-commands", producer: "INVENTORY_COMMANDS" }]);
		expect(shardsOf("no-such-queue")).toEqual([]);
		expect(shardsOf("constructor")).toEqual([]);
		for (const queue of Object.keys(QUEUES)) for (const s of shardsOf(queue)) expect(queueOfShard(s.queue)).toBe(queue);
		expect(queueOfShard("order-events-6")).toBeUndefined();
		expect(queueOfShard("order-events-dlq")).toBeUndefined();
	});

	it("are picked by the order id alone, the same every time, and share the orders out evenly", () => {
		// A fixed hash: the shard an order's messages go to never changes between isolates or deploys.
		expect(shardFor("order-read-model", "ord_0001").queue).toBe(shardFor("order-read-model", "ord_0001").queue);
		expect(shardFor("order-events", "")).toEqual(shardFor("order-events", ""));
		for (const queue of Object.keys(EVENT_QUEUES)) {
			const count = shardsOf(queue).length;
			const hits = new Map<string, number>();
			const orders = 2_000 * count;
			for (let i = 0; i < orders; i++) {
				const { queue: shard } = shardFor(queue, `ord_${i.toString(36).padStart(8, "0")}`);
				hits.set(shard, (hits.get(shard) ?? 0) + 1);
			}
			expect([...hits.keys()].sort()).toEqual(
				shardsOf(queue)
					.map((s) => s.queue)
					.sort(),
			);
			for (const n of hits.values()) {
				expect(n).toBeGreaterThan(2_000 * 0.8);
				expect(n).toBeLessThan(2_000 * 1.2);
			}
		}
		expect(shardFor("inventory-commands", "ord_1").queue).toBe("inventory-commands");
		expect(() => shardFor("no-such-queue", "ord_1")).toThrow("not a queue of the topology");
	});
});

describe("the Workers' configs and the topology's shards", () => {
	it("agree: every shard has its producers and its consumer with explicit settings, and nothing else", () => {
		expect(shardProblems(committed())).toEqual([]);
	});

	it("are what a deploy creates: every shard, and one dead-letter queue per queue", () => {
		const created = queuesIn(WORKERS.map((w) => raw(w.config)));
		for (const queue of Object.keys(QUEUES)) {
			for (const s of shardsOf(queue)) expect(created).toContain(s.queue);
			expect(created).toContain(`${queue}-dlq`);
		}
		expect(created.filter((q) => q.startsWith("order-read-model"))).toHaveLength(11);
	});

	it("name a shard a publisher, the order Worker or the gateway does not bind", () => {
		const configs = changed("billing", (q) => {
			q.producers = q.producers.filter((p) => p.queue !== "order-events-3");
		});
		expect(shardProblems(configs)).toEqual(["billing: no producer binding ORDER_EVENTS_3 → order-events-3"]);
		const gateway = changed("gateway", (q) => {
			q.producers = q.producers.filter((p) => p.binding !== "BILLING_EVENTS_1");
		});
		expect(shardProblems(gateway)).toEqual(["gateway: no producer binding BILLING_EVENTS_1 → billing-events-1"]);
	});

	it("name a shard bound under another binding, one beyond the count, and one bound where nothing publishes it", () => {
		const configs = changed("order", (q) => {
			const shard = q.producers.find((p) => p.queue === "order-read-model-2") as Table;
			shard.binding = "READ_MODEL_2";
			q.producers.push({ binding: "ORDER_READ_MODEL_10", queue: "order-read-model-10" });
		});
		expect(shardProblems(configs)).toEqual([
			"order: no producer binding ORDER_READ_MODEL_2 → order-read-model-2",
			"order: order-read-model-2 is bound as READ_MODEL_2, not ORDER_READ_MODEL_2",
			"order: order-read-model-10 is not a shard of order-read-model (10 shards)",
		]);
		const shipping = changed("shipping", (q) => {
			q.producers.push({ binding: "BILLING_EVENTS", queue: "billing-events" });
		});
		expect(shardProblems(shipping)).toEqual([
			"shipping: binds billing-events, which it neither publishes onto nor replays",
		]);
	});

	it("name a missing consumer, a setting left unset or unlike shard 0's, another dead-letter queue, a stray consumer", () => {
		const configs = changed("order", (q) => {
			q.consumers = q.consumers.filter((c) => c.queue !== "order-read-model-9");
			const four = q.consumers.find((c) => c.queue === "order-events-4") as Table;
			delete four.max_retries;
			four.max_batch_size = 100;
			(q.consumers.find((c) => c.queue === "order-events-5") as Table).dead_letter_queue = "order-events-5-dlq";
			q.consumers.push({ ...(q.consumers.find((c) => c.queue === "order-events") as Table), queue: "order-events-6" });
		});
		expect(shardProblems(configs)).toEqual([
			"order: the consumer of order-events-4 has max_batch_size = 100, shard 0 has 25",
			"order: the consumer of order-events-4 leaves max_retries unset",
			"order: the consumer of order-events-5 has dead_letter_queue = order-events-5-dlq, shard 0 has order-events-dlq",
			"order: order-events-5 dead-letters to order-events-5-dlq, not order-events-dlq",
			"order: order-events-6 is not a shard of order-events (6 shards)",
			"order: no consumer of order-read-model-9",
		]);
		const billing = changed("billing", (q) => {
			q.consumers.push({
				...(q.consumers.find((c) => c.queue === "billing-events") as Table),
				queue: "order-events-1",
			});
		});
		expect(shardProblems(billing)).toEqual(["billing: consumes order-events-1, which is order's"]);
	});
});

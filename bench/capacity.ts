/**
 * `npm run bench -- --capacity`: the capacity model fed with what is measured here. Requests per
 * order per object kind and messages per order per queue come from the usage counters of a bench
 * run; the requests per second one object serves locally from a short bounded burst of reads at it
 * through the stack. The orders/s on Cloudflare come from the published limits (capacity-model.ts).
 */
import { join } from "node:path";
import { experimental_readRawConfig } from "wrangler";
import { type Api, pool } from "../scripts/lib/api.ts";
import { ROOT } from "../scripts/lib/stack.ts";
import { WORKERS } from "../scripts/lib/workers.ts";
import { QUEUES, shardsOf } from "../shared/topology.ts";
import { type Load, round, shardsNeeded, sources, table, UNBOUNDED, verdict } from "./capacity-model.ts";
import { KINDS, ORDER_PATH } from "./order-path.ts";

/** The design's target for orders spread over SKUs (issue 10): no queue may run out below it. */
const TARGET_ORDERS_PER_SECOND = 10_000;

/** A usage counter added up over a queue's shards (`<counter>.<shard's queue or producer binding>`). */
const overShards = (perOrder: Record<string, number>, counter: string, queue: string, by: "queue" | "producer") =>
	shardsOf(queue).reduce((sum, s) => sum + (perOrder[`${counter}.${s[by]}`] ?? 0), 0);

/** The local burst at one object: at most this many requests, this long, this many at once. */
const PROBE = { requests: 2_000, ms: 8_000, concurrency: 16 };

/** `max_batch_size` of each queue's consumer, from the Workers' configs. */
function maxBatchSizes(): Record<string, number> {
	const sizes: Record<string, number> = {};
	for (const w of WORKERS) {
		const raw = experimental_readRawConfig({ config: join(ROOT, w.config) }).rawConfig as {
			queues?: { consumers?: { queue: string; max_batch_size?: number }[] };
		};
		for (const c of raw.queues?.consumers ?? []) sizes[c.queue] = c.max_batch_size ?? 10;
	}
	return sizes;
}

/** Requests per second one object answers locally: a burst of reads at it through the gateway. */
async function probe(api: Api, path: string): Promise<{ perSecond: number; failed: number }> {
	const started = performance.now();
	let done = 0;
	let failed = 0;
	await pool(Array.from({ length: PROBE.requests }), PROBE.concurrency, async () => {
		if (performance.now() - started > PROBE.ms) return;
		const res = await api.request("GET", path);
		if (res.status === 200) done++;
		else failed++;
	});
	return { perSecond: done / ((performance.now() - started) / 1000), failed };
}

/**
 * The model's report: `perOrder` are the counters of a bench run divided by its orders; `api` reads
 * as the customer of `ids.orderId`, an order of `ids.sku`, for the local probes.
 */
export async function capacityReport(
	perOrder: Record<string, number>,
	api: Api,
	ids: { orderId: string; sku: string },
): Promise<string> {
	const batch = maxBatchSizes();
	const notes: string[] = [];
	const loads: Load[] = ORDER_PATH.map((name) => {
		const kind = KINDS[name];
		if (!kind) throw new Error(`${name} is not a kind of bench/order-path.ts`);
		const r = kind.requests;
		if ("counter" in r) return { name, store: kind.store, keying: kind.keying, perOrder: perOrder[r.counter] ?? 0 };
		const messages = overShards(perOrder, "queueReads", r.batchesOf, "queue");
		const size = batch[r.batchesOf] ?? 1;
		notes.push(
			`${name}: one request per batch of ${r.batchesOf} (all its shards); ${round(messages)} messages per order at full batches of ${size} = ${round(messages / size)} requests per order (this run's batches, not full: ${round(overShards(perOrder, "queueBatches", r.batchesOf, "queue"))} per order).`,
		);
		if (kind.store === "d1")
			notes.push(
				`${name}: each batch counted as one query of 1 ms; a batch that takes t ms on D1 divides its orders/s by t.`,
			);
		return { name, store: kind.store, keying: kind.keying, perOrder: messages / size };
	});
	for (const l of loads.filter((l) => l.perOrder === 0))
		notes.push(
			`${l.name}: no request counted per order. Right for a kind orders do not touch; otherwise its class must count its requests (usage.objectRequest(this)).`,
		);
	// A queue's messages per order are its shards' together; its limit is its shards' together.
	const queues: Load[] = Object.keys(QUEUES).map((queue) => ({
		name: queue,
		store: "queue",
		keying: "single",
		perOrder: overShards(perOrder, "queueWrites", queue, "producer"),
		shards: shardsOf(queue).length,
	}));
	for (const q of queues.filter((q) => q.perOrder > 0)) {
		const counts = shardsOf(q.name).map((s) => round(perOrder[`queueWrites.${s.producer}`] ?? 0));
		notes.push(
			`${q.name}: ${round(q.perOrder)} messages per order over ${q.shards} shards (${counts.join(" + ")}), ${round(q.perOrder / (q.shards ?? 1))} per shard; ${TARGET_ORDERS_PER_SECOND.toLocaleString("en-US")} orders/s needs ${shardsNeeded(q, TARGET_ORDERS_PER_SECOND)} (its messages per order / 0.5, rounded up; \`shards\` in shared/topology.ts).`,
		);
	}
	const local: Record<string, string> = {};
	for (const name of ORDER_PATH) {
		const path = KINDS[name]?.probe(ids) as string;
		process.stdout.write(`  probing ${name}: GET ${path} … `);
		const p = await probe(api, path);
		local[name] = `${Math.round(p.perSecond)} req/s${p.failed ? ` (${p.failed} failed)` : ""}`;
		console.log(local[name]);
	}
	const all = [...loads, ...queues];
	return [
		table(all, local),
		"",
		UNBOUNDED,
		...notes,
		"",
		"(i) Orders spread over many SKUs:",
		...verdict(all, "spread").map((l) => `  ${l}`),
		"(ii) Every order for one hot SKU:",
		...verdict(all, "hot-sku").map((l) => `  ${l}`),
		"",
		"Limits (Cloudflare, published):",
		...sources().map((s) => `  ${s}`),
		"",
		`Local figures: GET through the gateway with a customer token, at most ${PROBE.requests} requests or ${PROBE.ms / 1000} s, ${PROBE.concurrency} at once, on this machine with wrangler dev: they bound the stack here, not the object on Cloudflare. Requests per order: the usage counters of the bench run above; reads by customers are not counted, only the order's own path.`,
	].join("\n");
}

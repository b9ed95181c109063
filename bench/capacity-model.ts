/**
 * The capacity model, pure: how many orders per second the design sustains on Cloudflare, from the
 * platform's published per-object, per-database and per-queue limits and how many requests (or
 * messages) each order sends to each. Only what one object, database or queue must absorb alone
 * bounds the rate: a kind with one object per order never does, one per SKU only when every order
 * wants the same SKU, a single one always. A queue of N shards, each taking the orders whose id
 * hashes to it, takes N times what one queue takes.
 */

export type Keying = "per-order" | "per-sku" | "single";
export type Store = "durable-object" | "d1" | "queue";
/** (i) orders spread over many SKUs; (ii) every order for one hot SKU. */
export type Scenario = "spread" | "hot-sku";

export interface Limit {
	/** What one object, database or queue serves per second. */
	perSecond: number;
	unit: string;
	/** The published wording, shortened, and where it is published. */
	says: string;
	source: string;
}

/** Cloudflare's published limits, as the pages read in November 2026. */
export const LIMITS: Record<Store, Limit> = {
	"durable-object": {
		perSecond: 1_000,
		unit: "requests/s per object",
		says: "an individual Object has a soft limit of 1,000 requests per second",
		source: "https://developers.cloudflare.com/durable-objects/platform/limits/",
	},
	d1: {
		perSecond: 1_000,
		unit: "queries/s per database at 1 ms a query",
		says: "each D1 database is single-threaded; at 1 ms per query about 1,000 queries per second, at 100 ms 10",
		source: "https://developers.cloudflare.com/d1/platform/limits/",
	},
	queue: {
		perSecond: 5_000,
		unit: "messages/s per queue",
		says: "per-queue message throughput: 5,000 messages per second",
		source: "https://developers.cloudflare.com/queues/platform/limits/",
	},
};

/** One object kind, D1 database or queue, and what each order asks of it. */
export interface Load {
	name: string;
	store: Store;
	keying: Keying;
	/** Requests (for a queue: messages) one order sends it, over the order's whole life. */
	perOrder: number;
	/**
	 * For a queue: how many real queues carry it (shared/topology.ts `shards`), each taking the
	 * orders whose id hashes to it; together they take shards × the per-queue limit. 1 when absent.
	 */
	shards?: number;
}

/** What all the objects (databases, queues) of a load together serve per second: a queue's shards add up. */
export const capacityOf = (load: Load, limits = LIMITS): number => limits[load.store].perSecond * (load.shards ?? 1);

/**
 * The shards a queue needs for `target` orders/s: its messages per order over what one queue takes
 * per second, rounded up; at 10,000 orders/s and 5,000 messages/s a queue, one shard per 0.5
 * messages per order.
 */
export const shardsNeeded = (load: Load, target: number, limits = LIMITS): number =>
	Math.max(1, Math.ceil((target * load.perOrder) / limits[load.store].perSecond - 1e-9));

/**
 * The orders per second at which one object (database, queue) of this load reaches its limit;
 * Infinity when no single one of them sees every order of the scenario.
 */
export function ordersPerSecond(load: Load, scenario: Scenario, limits = LIMITS): number {
	if (load.perOrder <= 0 || load.keying === "per-order") return Number.POSITIVE_INFINITY;
	if (load.keying === "per-sku" && scenario === "spread") return Number.POSITIVE_INFINITY;
	return capacityOf(load, limits) / load.perOrder;
}

/** The Durable Object kinds one object of which every order of the scenario touches: what caps the design. */
export function touchedByEveryOrder(loads: readonly Load[], scenario: Scenario): Load[] {
	return loads.filter((l) => l.store === "durable-object" && Number.isFinite(ordersPerSecond(l, scenario)));
}

/** The load that runs out first, with the rate at which it does; null when none bounds the rate. */
export function firstBottleneck(
	loads: readonly Load[],
	scenario: Scenario,
	limits = LIMITS,
): { load: Load; ordersPerSecond: number } | null {
	let first: { load: Load; ordersPerSecond: number } | null = null;
	for (const load of loads) {
		const rate = ordersPerSecond(load, scenario, limits);
		if (Number.isFinite(rate) && (!first || rate < first.ordersPerSecond)) first = { load, ordersPerSecond: rate };
	}
	return first;
}

const n = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString("en-US") : "unbounded");

/** A load's keying as printed: a sharded queue says how many shards. */
const keyingOf = (l: Load) => ((l.shards ?? 1) > 1 ? `${l.keying}, ${l.shards} shards` : l.keying);

/** The limit a load's rate is divided from: N shards × the per-queue limit for a sharded queue. */
const limitOf = (l: Load, limits: Record<Store, Limit>) =>
	`${(l.shards ?? 1) > 1 ? `${l.shards} × ` : ""}${limits[l.store].perSecond.toLocaleString("en-US")} ${limits[l.store].unit}`;

/** What the model concludes for one scenario, in words: the bottleneck, and what every order shares. */
export function verdict(loads: readonly Load[], scenario: Scenario, limits = LIMITS): string[] {
	const first = firstBottleneck(loads, scenario, limits);
	const shared = touchedByEveryOrder(loads, scenario);
	const lines = [
		shared.length === 0
			? "No object kind that every order touches."
			: `Object kinds one object of which every order touches: ${shared.map((l) => `${l.name} (${l.keying})`).join(", ")}.`,
		first
			? `First bottleneck: ${first.load.name} (${first.load.store}, ${keyingOf(first.load)}) at ${n(first.ordersPerSecond)} orders/s = ${limitOf(first.load, limits)} / ${round(first.load.perOrder)} per order.`
			: "No bottleneck among the loads modelled.",
	];
	for (const hot of loads.filter(
		(l) => l.keying === "per-sku" && Number.isFinite(ordersPerSecond(l, scenario, limits)),
	))
		lines.push(
			`One SKU's ${hot.name} object allows ${n(ordersPerSecond(hot, scenario, limits))} orders/s of that SKU. To raise it: split the SKU's stock into N shard objects (each holding a share of on-hand, an order reserving from the shard its id hashes to and trying the next when short): N × ${n(ordersPerSecond(hot, scenario, limits))} orders/s.`,
		);
	if (first?.load.keying === "single" && first.load.store === "queue") {
		const one = limits.queue.perSecond / first.load.perOrder;
		lines.push(
			`To raise it: fewer messages per order on ${first.load.name} (coalesce an order's updates), or more shards (its \`shards\` in shared/topology.ts, each a queue taking the orders whose id hashes to it): N × ${n(one)} orders/s.`,
		);
	}
	return lines;
}

export const round = (x: number) => (Math.round(x * 100) / 100).toString();

/** One markdown row per load: requests per order, the limit, and the orders/s it allows in each scenario. */
export function table(loads: readonly Load[], local: Record<string, string> = {}, limits = LIMITS): string {
	const rows = [
		"| kind | store | keying | per order | local, one object (this machine) | Cloudflare limit | orders/s, spread SKUs | orders/s, one hot SKU |",
		"|---|---|---|---|---|---|---|---|",
	];
	for (const l of loads)
		rows.push(
			`| ${l.name} | ${l.store} | ${keyingOf(l)} | ${round(l.perOrder)} | ${local[l.name] ?? "–"} | ${limitOf(l, limits)} | ${n(ordersPerSecond(l, "spread", limits))} | ${n(ordersPerSecond(l, "hot-sku", limits))} |`,
		);
	return rows.join("\n");
}

/** What "unbounded" in the table means. */
export const UNBOUNDED =
	"unbounded: no one object, database or queue of it sees every order (one per order, or one per SKU with orders spread over SKUs), or orders send it nothing.";

/** The limits used, each with its source: to be quoted with any figure the model gives. */
export function sources(limits = LIMITS): string[] {
	return Object.entries(limits).map(
		([store, l]) => `${store}: ${l.perSecond.toLocaleString("en-US")} ${l.unit} ("${l.says}"), ${l.source}`,
	);
}

/**
 * The capacity model, pure: how many orders per second the design sustains on Cloudflare, from the
 * platform's published per-object, per-database and per-queue limits and how many requests (or
 * messages) each order sends to each. Only what one object, database or queue must absorb alone
 * bounds the rate: a kind with one object per order never does, one per SKU only when every order
 * wants the same SKU, a single one always.
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
}

/**
 * The orders per second at which one object (database, queue) of this load reaches its limit;
 * Infinity when no single one of them sees every order of the scenario.
 */
export function ordersPerSecond(load: Load, scenario: Scenario, limits = LIMITS): number {
	if (load.perOrder <= 0 || load.keying === "per-order") return Number.POSITIVE_INFINITY;
	if (load.keying === "per-sku" && scenario === "spread") return Number.POSITIVE_INFINITY;
	return limits[load.store].perSecond / load.perOrder;
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

/** What the model concludes for one scenario, in words: the bottleneck, and what every order shares. */
export function verdict(loads: readonly Load[], scenario: Scenario, limits = LIMITS): string[] {
	const first = firstBottleneck(loads, scenario, limits);
	const shared = touchedByEveryOrder(loads, scenario);
	const lines = [
		shared.length === 0
			? "No object kind that every order touches."
			: `Object kinds one object of which every order touches: ${shared.map((l) => `${l.name} (${l.keying})`).join(", ")}.`,
		first
			? `First bottleneck: ${first.load.name} (${first.load.store}, ${first.load.keying}) at ${n(first.ordersPerSecond)} orders/s = ${limits[first.load.store].perSecond.toLocaleString("en-US")} ${limits[first.load.store].unit} / ${round(first.load.perOrder)} per order.`
			: "No bottleneck among the loads modelled.",
	];
	for (const hot of loads.filter(
		(l) => l.keying === "per-sku" && Number.isFinite(ordersPerSecond(l, scenario, limits)),
	))
		lines.push(
			`One SKU's ${hot.name} object allows ${n(ordersPerSecond(hot, scenario, limits))} orders/s of that SKU. To raise it: split the SKU's stock into N shard objects (each holding a share of on-hand, an order reserving from the shard its id hashes to and trying the next when short): N × ${n(ordersPerSecond(hot, scenario, limits))} orders/s.`,
		);
	if (first?.load.keying === "single" && first.load.store === "queue")
		lines.push(
			`To raise it: fewer messages per order on ${first.load.name} (coalesce an order's updates), or N queues each taking a share of orders by id: N × ${n(first.ordersPerSecond)} orders/s.`,
		);
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
			`| ${l.name} | ${l.store} | ${l.keying} | ${round(l.perOrder)} | ${local[l.name] ?? "–"} | ${limits[l.store].perSecond.toLocaleString("en-US")} ${limits[l.store].unit} | ${n(ordersPerSecond(l, "spread", limits))} | ${n(ordersPerSecond(l, "hot-sku", limits))} |`,
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

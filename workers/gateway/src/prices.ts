import { stockSchema } from "../../../shared/api";
import { ProblemError } from "../../../shared/http/problem";
import { settingOrZero } from "../../../shared/settings";

/** How long a price read from inventory prices orders without asking again, unless PRICE_CACHE_MS says otherwise. */
const DEFAULT_CACHE_MS = 5_000;
/** A bound on what one gateway instance keeps: past it, the SKU read longest ago goes. */
const MAX_CACHED = 10_000;

/**
 * Unit prices this gateway instance read from inventory lately, by SKU. Most orders are for SKUs
 * ordered a moment ago, and each read is a call to inventory and into the SKU's object, so a price
 * prices the orders of the next PRICE_CACHE_MS without another. A price changed through this
 * instance applies at once (forgetPrice); one changed through another may take that long. Only
 * known SKUs are kept: a SKU just added is never refused for a stale "unknown".
 */
const cached = new Map<string, { unitPrice: number; readAt: number }>();
/** When each SKU's price was last changed through this instance: a read begun before then is not kept. */
const changedAt = new Map<string, number>();

/** Re-inserted, so a Map's order is the order of writing and its first key the one written longest ago. */
function put<V>(map: Map<string, V>, sku: string, value: V): void {
	map.delete(sku);
	map.set(sku, value);
	if (map.size > MAX_CACHED) map.delete(map.keys().next().value as string);
}

/** Keeps a price read at `readAt`, unless it was changed through this instance since the read began. */
function remember(sku: string, unitPrice: number, readAt: number): void {
	if ((changedAt.get(sku) ?? -1) >= readAt) return;
	put(cached, sku, { unitPrice, readAt });
}

/** A price changed through this instance: the next order reads it from inventory, and a read under way is not kept. */
export function forgetPrice(sku: string): void {
	cached.delete(sku);
	put(changedAt, sku, Date.now());
}

/** Current prices of the ordered SKUs, read from inventory unless read lately; an unknown SKU is the client's mistake. */
export async function priceLines(env: GatewayEnv, lines: { sku: string; quantity: number }[]) {
	const now = Date.now();
	const ttl = settingOrZero(env, "PRICE_CACHE_MS", DEFAULT_CACHE_MS);
	const prices = new Map<string, number>();
	for (const { sku } of lines) {
		const hit = cached.get(sku);
		if (hit && now - hit.readAt < ttl) prices.set(sku, hit.unitPrice);
	}
	const toRead = [...new Set(lines.map((l) => l.sku).filter((sku) => !prices.has(sku)))];
	if (toRead.length > 0) {
		const res = await env.INVENTORY.fetch(
			`https://internal/inventory?${new URLSearchParams(toRead.map((s) => ["sku", s]))}`,
		);
		if (!res.ok) throw new Error(`inventory answered ${res.status}`);
		const { items } = (await res.json()) as { items: unknown[] };
		for (const { sku, unitPrice } of items.map((i) => stockSchema.parse(i))) {
			prices.set(sku, unitPrice);
			if (ttl > 0) remember(sku, unitPrice, now);
		}
	}
	const unknown = toRead.filter((sku) => !prices.has(sku));
	if (unknown.length > 0) throw new ProblemError(422, "unknown_sku", "Some SKUs are not sold here", { skus: unknown });
	return lines.map((l) => ({ ...l, unitPrice: prices.get(l.sku) as number }));
}

/** The Workers of the system, in dependency order: a Worker deploys after those it binds to. */
export const WORKERS = [
	{
		name: "telemetry",
		config: "workers/telemetry/wrangler.toml",
		envInterface: "TelemetryEnv",
		dir: "workers/telemetry",
	},
	{
		name: "inventory",
		config: "workers/inventory/wrangler.toml",
		envInterface: "InventoryEnv",
		dir: "workers/inventory",
	},
	{ name: "billing", config: "workers/billing/wrangler.toml", envInterface: "BillingEnv", dir: "workers/billing" },
	{ name: "shipping", config: "workers/shipping/wrangler.toml", envInterface: "ShippingEnv", dir: "workers/shipping" },
	{ name: "order", config: "workers/order/wrangler.toml", envInterface: "OrderEnv", dir: "workers/order" },
	{ name: "gateway", config: "wrangler.toml", envInterface: "GatewayEnv", dir: "workers/gateway" },
] as const;

type Table = Record<string, unknown>;
const tables = (v: unknown): Table[] =>
	Array.isArray(v) ? v.filter((t): t is Table => typeof t === "object" && t !== null) : [];

/**
 * Every queue the Workers' configs name (produced, consumed, or a consumer's dead-letter queue):
 * what a deploy must find or create. Read from the configs, so a queue bound anywhere is never missed.
 */
export function queuesIn(rawConfigs: readonly object[]): string[] {
	const names = rawConfigs.flatMap((raw) => {
		const queues = (raw as Table).queues as Table | undefined;
		return [
			...tables(queues?.producers).map((p) => p.queue),
			...tables(queues?.consumers).flatMap((c) => [c.queue, c.dead_letter_queue]),
		];
	});
	return [...new Set(names.filter((n): n is string => typeof n === "string"))].sort();
}

/**
 * Whether `wrangler queues list` output names this queue: the whole name, so neither order-events-1
 * nor order-events-dlq passes for order-events.
 */
export const listsQueue = (output: string, queue: string): boolean =>
	new RegExp(`(^|[^\\w-])${queue.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}($|[^\\w-])`, "m").test(output);

/** The D1 databases a Worker's config binds, by name: what `wrangler d1 migrations apply` takes. */
export function d1DatabasesIn(rawConfig: object): string[] {
	return tables((rawConfig as Table).d1_databases)
		.map((d) => d.database_name)
		.filter((n): n is string => typeof n === "string");
}

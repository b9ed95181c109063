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

/** Every queue with its dead-letter queue. */
export const QUEUES = ["order-events", "inventory-commands", "billing-commands", "shipping-commands"].flatMap((q) => [
	q,
	`${q}-dlq`,
]);

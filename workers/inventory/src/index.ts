import { stockInputSchema } from "../../../shared/api";
import { commandsEntrypoint } from "../../../shared/commands";
import type { Envelope } from "../../../shared/envelope";
import { faultPlan } from "../../../shared/faults";
import { createApp } from "../../../shared/http/app";
import { ProblemError } from "../../../shared/http/problem";
import { jsonBody } from "../../../shared/http/validate";
import { commandConsumer, commandEndpoint, consumeBatch } from "../../../shared/queue/consume";
import { WHOLE_ORDER_COMMANDS, WholeOrder } from "./whole-order";

export { Catalogue } from "./catalogue-do";
export { SkuStock } from "./sku-stock-do";

const SERVICE = "inventory";

/** Each SKU's stock lives in its own object, named by the SKU. */
const skuStock = (env: InventoryEnv) => (sku: string) => env.SKU_STOCK.get(env.SKU_STOCK.idFromName(sku));
/** The list of SKUs sold, for restocking and the admin views only. */
const catalogue = (env: InventoryEnv) => env.CATALOGUE.get(env.CATALOGUE.idFromName("all"));

/** A line's command goes to its SKU's object; a whole order's (placement v1/v2) is carried out line by line. */
const objectFor = (env: InventoryEnv, message: Envelope) =>
	WHOLE_ORDER_COMMANDS.has(message.type)
		? new WholeOrder(env, skuStock(env))
		: skuStock(env)((message.payload as { sku: string }).sku);

/** Every SKU's answer to `read`, over the catalogue: the admin views, never an order's path. */
async function everySku<T>(env: InventoryEnv, read: (sku: string) => Promise<T>) {
	const skus = await catalogue(env).list();
	return Promise.all(skus.map(async (sku) => [sku, await read(sku)] as const));
}

const app = createApp<InventoryEnv>(SERVICE, { internal: true });

/** The stock of the SKUs asked for, each from its own object: an order's price lookup touches only its SKUs. */
app.get("/inventory", async (c) => {
	const skus = [...new Set(c.req.queries("sku") ?? [])];
	const levels = await Promise.all(skus.map((sku) => skuStock(c.env)(sku).getStock()));
	return c.json({ items: levels.filter((l) => l !== null) });
});

app.get("/inventory/:sku", async (c) => {
	const stock = await skuStock(c.env)(c.req.param("sku")).getStock();
	if (!stock) throw new ProblemError(404, "sku_not_found", "No stock is kept for this SKU");
	return c.json(stock);
});

app.put("/inventory/:sku", async (c) => {
	const sku = c.req.param("sku");
	const { onHand, unitPrice } = await jsonBody(c.req.raw, stockInputSchema);
	// Listed first: a SKU with stock is always in the catalogue (listing one twice changes nothing).
	await catalogue(c.env).add(sku);
	const stock = await skuStock(c.env)(sku).setStock(sku, onHand, unitPrice);
	if (!stock) throw new ProblemError(409, "stock_below_reserved", "On-hand stock cannot be set below what is reserved");
	return c.json(stock);
});

app.get("/admin/ledger", async (c) => {
	const rows = await everySku(c.env, (sku) => skuStock(c.env)(sku).ledger());
	return c.json({ items: rows.flatMap(([, row]) => (row ? [row] : [])) });
});
/** Every order's reservation of every SKU: one item per order and SKU. */
app.get("/admin/reservations", async (c) => {
	const rows = await everySku(c.env, (sku) => skuStock(c.env)(sku).reservations());
	return c.json({ items: rows.flatMap(([, r]) => r) });
});
/** Every return's units put back, one item per return and SKU: what the checker compares with the orders' returns. */
app.get("/admin/restocks", async (c) => {
	const rows = await everySku(c.env, (sku) => skuStock(c.env)(sku).restocks());
	return c.json({ items: rows.flatMap(([, r]) => r) });
});
app.get("/admin/pending", async (c) => {
	const rows = await everySku(c.env, (sku) => skuStock(c.env)(sku).pending());
	return c.json(Object.fromEntries(rows.map(([sku, p]) => [`sku:${sku}`, p])));
});

const executeCommand = commandEndpoint<InventoryEnv>(SERVICE, objectFor);
app.post("/commands", async (c) => executeCommand(await c.req.json().catch(() => null), c.env));

const handleCommand = commandConsumer<InventoryEnv>(SERVICE, objectFor);

/** What a saga's outbox calls over its service binding: the command in, its replies back. */
export const Commands = commandsEntrypoint<InventoryEnv>(SERVICE, objectFor, faultPlan);

export default {
	fetch: app.fetch,
	queue: (batch, env) => consumeBatch(batch, SERVICE, env.DEAD_LETTERS, (m) => handleCommand(m, env), faultPlan(env)),
} satisfies ExportedHandler<InventoryEnv>;

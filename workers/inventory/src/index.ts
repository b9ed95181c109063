import { stockInputSchema } from "../../../shared/api";
import { commandsEntrypoint } from "../../../shared/commands";
import { faultPlan } from "../../../shared/faults";
import { createApp } from "../../../shared/http/app";
import { ProblemError } from "../../../shared/http/problem";
import { jsonBody } from "../../../shared/http/validate";
import { commandConsumer, commandEndpoint, consumeBatch } from "../../../shared/queue/consume";

export { Stockroom } from "./stockroom-do";

const SERVICE = "inventory";
/** One warehouse today; the Stockroom is keyed by warehouse so more can be added. */
const WAREHOUSE = "main";

const stockroom = (env: InventoryEnv) => env.STOCKROOM.get(env.STOCKROOM.idFromName(WAREHOUSE));

const app = createApp<InventoryEnv>(SERVICE, { internal: true });

app.get("/inventory", async (c) => {
	const skus = c.req.queries("sku") ?? [];
	return c.json({ items: await stockroom(c.env).getStock(skus) });
});

app.get("/inventory/:sku", async (c) => {
	const [stock] = await stockroom(c.env).getStock([c.req.param("sku")]);
	if (!stock) throw new ProblemError(404, "sku_not_found", "No stock is kept for this SKU");
	return c.json(stock);
});

app.put("/inventory/:sku", async (c) => {
	const { onHand, unitPrice } = await jsonBody(c.req.raw, stockInputSchema);
	const stock = await stockroom(c.env).setStock(c.req.param("sku"), onHand, unitPrice);
	if (!stock) throw new ProblemError(409, "stock_below_reserved", "On-hand stock cannot be set below what is reserved");
	return c.json(stock);
});

app.get("/admin/ledger", async (c) => c.json({ items: await stockroom(c.env).ledger() }));
app.get("/admin/reservations", async (c) => c.json({ items: await stockroom(c.env).reservations() }));
app.get("/admin/pending", async (c) => c.json({ stockroom: await stockroom(c.env).pending() }));

const executeCommand = commandEndpoint<InventoryEnv>(SERVICE, stockroom);
app.post("/commands", async (c) => executeCommand(await c.req.json().catch(() => null), c.env));

const handleCommand = commandConsumer<InventoryEnv>(SERVICE, stockroom);

/** What a saga's outbox calls over its service binding: the command in, its replies back. */
export const Commands = commandsEntrypoint<InventoryEnv>(SERVICE, stockroom, faultPlan);

export default {
	fetch: app.fetch,
	queue: (batch, env) => consumeBatch(batch, SERVICE, env.DEAD_LETTERS, (m) => handleCommand(m, env), faultPlan(env)),
} satisfies ExportedHandler<InventoryEnv>;

import { orderIdSchema } from "../../../shared/api";
import { commandsEntrypoint } from "../../../shared/commands";
import type { Envelope } from "../../../shared/envelope";
import { faultPlan } from "../../../shared/faults";
import { createApp } from "../../../shared/http/app";
import { ProblemError } from "../../../shared/http/problem";
import { parseOr422 } from "../../../shared/http/validate";
import { commandConsumer, commandEndpoint, consumeBatch } from "../../../shared/queue/consume";

export { Shipment } from "./shipment-do";

const SERVICE = "shipping";

const shipments = (env: ShippingEnv, orderId: string) => env.SHIPMENTS.get(env.SHIPMENTS.idFromName(orderId));

const app = createApp<ShippingEnv>(SERVICE, { internal: true });

app.get("/shipments/:orderId", async (c) => {
	const orderId = parseOr422(orderIdSchema, c.req.param("orderId"));
	const shipment = await shipments(c.env, orderId).view();
	if (!shipment) throw new ProblemError(404, "shipment_not_found", "No shipment exists for this order");
	return c.json(shipment);
});

app.get("/admin/shipments/:orderId/pending", async (c) =>
	c.json(await shipments(c.env, parseOr422(orderIdSchema, c.req.param("orderId"))).pending()),
);

const executeCommand = commandEndpoint<ShippingEnv>(SERVICE, (env: ShippingEnv, m: Envelope) =>
	shipments(env, m.correlationId),
);
app.post("/commands", async (c) => executeCommand(await c.req.json().catch(() => null), c.env));

const handleCommand = commandConsumer<ShippingEnv>(SERVICE, (env, m) => shipments(env, m.correlationId));

/** What a saga's outbox calls over its service binding: the command in, its replies back. */
export const Commands = commandsEntrypoint<ShippingEnv>(
	SERVICE,
	(env: ShippingEnv, m: Envelope) => shipments(env, m.correlationId),
	faultPlan,
);

export default {
	fetch: app.fetch,
	queue: (batch, env) => consumeBatch(batch, SERVICE, env.DEAD_LETTERS, (m) => handleCommand(m, env), faultPlan(env)),
} satisfies ExportedHandler<ShippingEnv>;

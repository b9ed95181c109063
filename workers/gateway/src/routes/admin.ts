import { Hono } from "hono";
import { envelopeSchema } from "../../../../shared/envelope";
import { ProblemError } from "../../../../shared/http/problem";
import { jsonBody } from "../../../../shared/http/validate";
import { requireScope } from "../auth";
import { forward } from "../forward";
import type { Gateway } from "../vars";

export const adminRoutes = new Hono<Gateway>();

adminRoutes.use(requireScope("admin"));

const QUEUES = {
	"order-events": "ORDER_EVENTS",
	"inventory-commands": "INVENTORY_COMMANDS",
	"billing-commands": "BILLING_COMMANDS",
	"shipping-commands": "SHIPPING_COMMANDS",
} as const;

/** Publishes a message onto a queue as it is: replaying a dead letter or a lost message. Consumers deduplicate by id. */
adminRoutes.post("/queues/:queue/messages", async (c) => {
	const binding = QUEUES[c.req.param("queue") as keyof typeof QUEUES];
	if (!binding) throw new ProblemError(404, "queue_not_found", "No such queue", { queues: Object.keys(QUEUES) });
	const message = await jsonBody(c.req.raw, envelopeSchema);
	await c.env[binding].send(message, { contentType: "json" });
	return c.json({ queued: message.id, queue: c.req.param("queue") }, 202);
});

adminRoutes.get("/ledger", (c) => forward(c, c.env.INVENTORY, "/admin/ledger"));

import { orderIdSchema, reviewInputSchema } from "../../../shared/api";
import { commandsEntrypoint } from "../../../shared/commands";
import type { Envelope } from "../../../shared/envelope";
import { faultPlan } from "../../../shared/faults";
import { createApp } from "../../../shared/http/app";
import { ProblemError } from "../../../shared/http/problem";
import { jsonBody, parseOr422 } from "../../../shared/http/validate";
import { isMessageType, parsePayload } from "../../../shared/messages";
import { commandConsumer, commandEndpoint, consumeBatch, PoisonMessage } from "../../../shared/queue/consume";
import { EVENT_QUEUES, eventsOn, queueOfShard } from "../../../shared/topology";

export { Payments } from "./payments-do";

const SERVICE = "billing";

const payments = (env: BillingEnv, orderId: string) => env.PAYMENTS.get(env.PAYMENTS.idFromName(orderId));

/** A command's payment is its order's: a refund comes from its return's saga (its correlation), and names the order. */
const paymentOf = (env: BillingEnv, m: Envelope) =>
	payments(env, m.type === "billing.refund-payment" ? (m.payload as { orderId: string }).orderId : m.correlationId);

const app = createApp<BillingEnv>(SERVICE, { internal: true });

app.get("/payments/:orderId", async (c) => {
	const orderId = parseOr422(orderIdSchema, c.req.param("orderId"));
	const payment = await payments(c.env, orderId).view();
	if (!payment) throw new ProblemError(404, "payment_not_found", "No payment exists for this order");
	return c.json(payment);
});

app.get("/admin/payments/:orderId/pending", async (c) =>
	c.json(await payments(c.env, parseOr422(orderIdSchema, c.req.param("orderId"))).pending()),
);

/** A reviewer's decision on a payment held for review: once; the same again answers the same. */
app.post("/admin/payments/:orderId/review", async (c) => {
	const orderId = parseOr422(orderIdSchema, c.req.param("orderId"));
	const { decision } = await jsonBody(c.req.raw, reviewInputSchema);
	// Who decides: the operator the gateway verified (its `x-actor`); billing is reached only through bindings.
	const by = c.req.header("x-actor") ?? "unknown";
	const reviewed = await payments(c.env, orderId).review(orderId, decision, by, c.req.header("traceparent") ?? "");
	switch (reviewed.result) {
		case "not_found":
			throw new ProblemError(404, "payment_not_found", "No payment exists for this order");
		case "not_under_review":
			throw new ProblemError(409, "payment_not_under_review", "This payment is not held for review");
		case "conflict":
			throw new ProblemError(409, "review_already_decided", "Another decision was already made on this payment");
		default:
			return c.json(reviewed.review);
	}
});

const executeCommand = commandEndpoint<BillingEnv>(SERVICE, paymentOf);
app.post("/commands", async (c) => executeCommand(await c.req.json().catch(() => null), c.env));

const handleCommand = commandConsumer<BillingEnv>(SERVICE, paymentOf);

/** What a saga's outbox calls over its service binding: the command in, its replies back. */
export const Commands = commandsEntrypoint<BillingEnv>(SERVICE, paymentOf, faultPlan);

const EVENTS_QUEUE = "billing-events";
const EVENTS = new Set<string>(eventsOn(EVENTS_QUEUE));

/** The order's events billing acts on, fire and forget: the Payments object's inbox drops a repeat by its id. */
async function handleEvent(m: Envelope, env: BillingEnv) {
	if (!isMessageType(m.type) || !EVENTS.has(m.type)) throw new PoisonMessage(`billing does not take ${m.type}`);
	const payload = parsePayload(m.type, m.payload);
	const result = await payments(env, payload.orderId).handleEvent({ ...m, payload });
	if (result.outcome === "poison") throw new PoisonMessage(result.reason ?? "unapplicable");
	return result;
}

export default {
	fetch: app.fetch,
	queue: (batch, env) =>
		queueOfShard(batch.queue) === EVENTS_QUEUE
			? consumeBatch(
					batch,
					SERVICE,
					env[EVENT_QUEUES[EVENTS_QUEUE].deadLetters],
					(m) => handleEvent(m, env),
					faultPlan(env),
				)
			: consumeBatch(batch, SERVICE, env.DEAD_LETTERS, (m) => handleCommand(m, env), faultPlan(env)),
} satisfies ExportedHandler<BillingEnv>;

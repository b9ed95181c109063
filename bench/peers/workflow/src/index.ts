/**
 * The placement saga written as a Cloudflare Workflow: the same three contexts, steps,
 * compensations and deterministic failures as the OrderSaga, each command a `step.do` with
 * retries over the context's synchronous command endpoint. The order's status lives in a
 * PeerOrder Durable Object (a Workflow cannot be read mid-run), written at creation, at the pivot
 * and at the end, so both systems are measured to the same moment: the order confirmed.
 */
import { DurableObject, WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cloudflare:workers";
import { NonRetryableError } from "cloudflare:workflows";
import { Hono } from "hono";
import { usage } from "../../../../shared/observability/usage";

interface Params {
	orderId: string;
	lines: { sku: string; quantity: number }[];
	amount: number;
	address: { name: string; line1: string; city: string; postalCode: string; country: string };
	paymentToken: string;
	traceparent: string;
}

type Status = "pending" | "confirmed" | "cancelled";

export class PeerOrder extends DurableObject {
	async set(status: Status, failureReason?: string) {
		await this.ctx.storage.put({ status, failureReason: failureReason ?? null });
	}
	async get(): Promise<{ status: string; failureReason: string | null } | null> {
		const map = await this.ctx.storage.get<string | null>(["status", "failureReason"]);
		return map.size ? { status: String(map.get("status")), failureReason: map.get("failureReason") ?? null } : null;
	}
}

const RETRIES = {
	retries: { limit: 4, delay: "1 second" as const, backoff: "exponential" as const },
	timeout: "30 seconds" as const,
};

let seq = 0;
async function command(service: Fetcher, p: Params, type: string, payload: unknown, id: string) {
	const envelope = {
		id,
		type,
		version: 1,
		occurredAt: new Date().toISOString(),
		source: "workflow-peer",
		correlationId: p.orderId,
		causationId: null,
		traceparent: p.traceparent,
		payload,
	};
	usage.count("workflowSteps");
	const res = await service.fetch("https://internal/commands", {
		method: "POST",
		headers: { "content-type": "application/json", "x-seq": String(++seq) },
		body: JSON.stringify(envelope),
	});
	if (res.status === 409) throw new NonRetryableError(await res.text());
	if (!res.ok) throw new Error(`${type}: ${res.status}`);
	const { replies } = (await res.json()) as { replies: { type: string; payload: { reason?: string } }[] };
	const reply = replies[0];
	if (!reply) throw new Error(`${type}: no answer yet`);
	return reply;
}

const peerOrder = (env: PeerEnv, id: string) => env.PEER_ORDERS.get(env.PEER_ORDERS.idFromName(id));

export class PlacementWorkflow extends WorkflowEntrypoint<PeerEnv, Params> {
	override async run(event: WorkflowEvent<Params>, step: WorkflowStep) {
		const p = event.payload;
		const ref = { orderId: p.orderId };
		const undo: { name: string; run: () => Promise<{ type: string }> }[] = [];
		const forward = async (
			name: string,
			service: Fetcher,
			type: string,
			payload: unknown,
			ok: string,
			failure: string,
			compensation?: [string, string],
		) => {
			// Registered before the step runs, so a step that half-happened is still undone.
			if (compensation) {
				const [undoType] = compensation;
				undo.push({ name: `undo ${name}`, run: () => command(service, p, undoType, ref, `${p.orderId}.${name}.undo`) });
			}
			const reply = await step.do(name, RETRIES, async () => {
				const r = await command(service, p, type, payload, `${p.orderId}.${name}`);
				return { type: r.type, reason: r.payload.reason ?? null };
			});
			if (reply.type !== ok) {
				undo.pop(); // a rejection is authoritative: nothing to undo for this step
				throw new NonRetryableError(failure);
			}
		};
		try {
			await forward(
				"reserve-stock",
				this.env.INVENTORY,
				"inventory.reserve-stock",
				{ orderId: p.orderId, lines: p.lines },
				"inventory.stock-reserved",
				"out_of_stock",
				["inventory.release-stock", ""],
			);
			await forward(
				"authorize-payment",
				this.env.BILLING,
				"billing.authorize-payment",
				{ orderId: p.orderId, amount: p.amount, currency: "EUR", paymentToken: p.paymentToken },
				"billing.payment-authorized",
				"payment_declined",
				["billing.void-payment", ""],
			);
			await forward(
				"schedule-pickup",
				this.env.SHIPPING,
				"shipping.schedule-pickup",
				{ orderId: p.orderId, address: p.address },
				"shipping.pickup-scheduled",
				"shipping_unavailable",
				["shipping.cancel-pickup", ""],
			);
		} catch (error) {
			const reason = error instanceof Error ? error.message : "failed";
			for (const u of undo.reverse())
				await step.do(
					u.name,
					{ retries: { limit: 10, delay: "1 second", backoff: "exponential" } },
					async () => (await u.run()).type,
				);
			await step.do("cancelled", async () => peerOrder(this.env, p.orderId).set("cancelled", reason));
			return { status: "cancelled", reason };
		}
		await step.do("confirm", async () => {
			usage.count("workflowSteps");
			await peerOrder(this.env, p.orderId).set("confirmed");
		});
		const forever = { retries: { limit: 20, delay: "1 second" as const, backoff: "exponential" as const } };
		await step.do(
			"capture-payment",
			forever,
			async () =>
				(await command(this.env.BILLING, p, "billing.capture-payment", ref, `${p.orderId}.capture-payment`)).type,
		);
		await step.do(
			"commit-stock",
			forever,
			async () =>
				(await command(this.env.INVENTORY, p, "inventory.commit-stock", ref, `${p.orderId}.commit-stock`)).type,
		);
		await step.do(
			"confirm-pickup",
			forever,
			async () =>
				(await command(this.env.SHIPPING, p, "shipping.confirm-pickup", ref, `${p.orderId}.confirm-pickup`)).type,
		);
		return { status: "confirmed" };
	}
}

const app = new Hono<{ Bindings: PeerEnv }>();

/** Same body and pricing as the gateway's POST /orders (the bench sends priced lines in `unitPrice`). */
app.post("/orders", async (c) => {
	const body = await c.req.json<{
		orderId: string;
		items: { sku: string; quantity: number; unitPrice: number }[];
		shippingAddress: Params["address"];
		paymentToken: string;
	}>();
	const amount = body.items.reduce((s, i) => s + i.quantity * i.unitPrice, 0);
	usage.count("workerRequests");
	await peerOrder(c.env, body.orderId).set("pending");
	await c.env.PLACEMENT.create({
		id: body.orderId,
		params: {
			orderId: body.orderId,
			lines: body.items.map(({ sku, quantity }) => ({ sku, quantity })),
			amount,
			address: body.shippingAddress,
			paymentToken: body.paymentToken,
			traceparent: c.req.header("traceparent") ?? "00-00000000000000000000000000000001-0000000000000001-01",
		},
	});
	return c.json({ id: body.orderId, status: "pending" }, 202);
});

app.get("/admin/usage", (c) => c.json({ service: "workflow-peer", ...usage.snapshot() }));

app.get("/orders/:id", async (c) => {
	const order = await peerOrder(c.env, c.req.param("id")).get();
	return order ? c.json({ id: c.req.param("id"), ...order }) : c.json({ code: "order_not_found" }, 404);
});

export default app;

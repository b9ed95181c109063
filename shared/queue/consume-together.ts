import { ZodError } from "zod";
import { type Envelope, envelopeSchema } from "../envelope";
import { log } from "../observability/log";
import { observe } from "../observability/metrics";
import { type ChildSpan, spanFields } from "../observability/span";
import { usage } from "../observability/usage";
import { deadLetterOf, letterQueue, PoisonMessage, unapplicableReason } from "./consume";

/**
 * Handles a batch as one: each message is parsed by `accept` (a message that can never apply is
 * dead-lettered with its reason and acked), then everything accepted is applied by one call. The
 * call succeeds or fails as a whole: its messages are acked together or retried together, so
 * `applyAll` must be idempotent and indifferent to order, as at-least-once delivery needs anyway.
 */
export async function consumeTogether<T>(
	batch: MessageBatch<unknown>,
	service: string,
	deadLetters: Queue,
	accept: (message: Envelope) => T,
	applyAll: (items: T[]) => Promise<void>,
): Promise<void> {
	const started = Date.now();
	usage.count("queueBatches", 1, batch.queue);
	usage.count("queueReads", batch.messages.length, batch.queue);
	const accepted: { msg: Message<unknown>; message: Envelope; item: T }[] = [];
	for (const msg of batch.messages) {
		const parsed = envelopeSchema.safeParse(msg.body);
		try {
			if (!parsed.success)
				throw new PoisonMessage(
					`envelope: ${parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`,
				);
			const message = parsed.data as Envelope;
			accepted.push({ msg, message, item: accept(message) });
		} catch (error) {
			if (!(error instanceof PoisonMessage || error instanceof ZodError)) throw error;
			const letter = deadLetterOf(
				unapplicableReason(error),
				{ queue: letterQueue(batch.queue), service, attempts: msg.attempts },
				msg.body,
			);
			try {
				await deadLetters.send(letter, { contentType: "json" });
				msg.ack();
			} catch (sendError) {
				msg.retry({ delaySeconds: Math.min(msg.attempts, 5) });
				log.error(service, "message.dead-letter-failed", { queue: batch.queue, error: String(sendError) });
				continue;
			}
			observe("message", { service, type: parsed.data?.type ?? "unparsed", outcome: "dead_letter" }, 0, true);
			log.warn(service, "message.dead-lettered", {
				queue: batch.queue,
				messageId: parsed.data?.id ?? msg.id,
				orderId: parsed.data?.correlationId,
				type: parsed.data?.type,
				outcome: "dead_letter",
				reason: letter.reason,
			});
		}
	}
	if (accepted.length === 0) return;
	// One line per batch, carrying each message's span (so every trace crosses the hop) and RED metrics per type.
	const written = (event: string, outcome: "ok" | "error", extra: Record<string, unknown> = {}) => {
		const durationMs = Date.now() - started;
		const spans: ChildSpan[] = accepted.map(({ message }) => {
			observe(
				"message",
				{ service, type: message.type, outcome: outcome === "ok" ? "ok" : "retry" },
				durationMs,
				outcome === "error",
			);
			const { span, traceId, spanId, parentSpanId, start } = spanFields(
				`handle ${message.type}`,
				message.traceparent,
				started,
				durationMs,
			);
			const attributes = { messageId: message.id, orderId: message.correlationId };
			return {
				span,
				traceId,
				spanId,
				...(parentSpanId ? { parentSpanId } : {}),
				start,
				durationMs,
				outcome,
				attributes,
			};
		});
		const fields = {
			traceId: spans[0]?.traceId,
			queue: batch.queue,
			count: spans.length,
			durationMs,
			outcome,
			...extra,
			spans,
		};
		if (outcome === "ok") log.info(service, event, fields);
		else log.error(service, event, fields);
	};
	try {
		await applyAll(accepted.map((a) => a.item));
	} catch (error) {
		const attempts = Math.max(...accepted.map((a) => a.msg.attempts));
		for (const a of accepted) a.msg.retry({ delaySeconds: Math.min(attempts, 5) });
		written("batch.failed", "error", { retried: true, error: String(error) });
		return;
	}
	for (const a of accepted) a.msg.ack();
	usage.count("queueAcks", accepted.length);
	written("batch.handled", "ok");
}

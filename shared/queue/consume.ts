import { ZodError } from "zod";
import { type Envelope, envelopeSchema } from "../envelope";
import { type FaultPlan, InjectedFault, rolls, ruleFor, shuffled } from "../faults";
import { isMessageType, messageSchemas, parsePayload } from "../messages";
import { log } from "../observability/log";
import { observe } from "../observability/metrics";
import { spanFields } from "../observability/span";
import { traceFields } from "../observability/trace";
import { usage } from "../observability/usage";
import { ownerOf, queueOfShard } from "../topology";

/** What a handler may tell the consumer about a message it handled: a repeat is logged as one. */
export interface Handled {
	outcome: string;
}

/** A message that can never succeed, however often it is retried: it goes straight to the dead letters. */
export class PoisonMessage extends Error {}

export interface DeadLetter {
	reason: string;
	queue: string;
	service: string;
	attempts: number;
	deadLetteredAt: string;
	body: unknown;
}

/** Why a message can never apply: the poison's own words, or where its payload does not parse. */
export const unapplicableReason = (error: PoisonMessage | ZodError | Error) =>
	error instanceof ZodError
		? `payload: ${error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`
		: error.message;

/** The queue a letter names: the queue of the shard its batch came on (replays pick the shard again), or the batch's own. */
export const letterQueue = (batchQueue: string) => queueOfShard(batchQueue) ?? batchQueue;

/** The letter a dead-letter queue keeps: the message as it came, where from, and why it can never apply. */
export const deadLetterOf = (
	reason: string,
	from: { queue: string; service: string; attempts: number },
	body: unknown,
): DeadLetter => ({ reason, ...from, deadLetteredAt: new Date().toISOString(), body });

async function injectBefore(faults: FaultPlan, message: Envelope, msg: Message<unknown>): Promise<void> {
	const delay = ruleFor(faults.delayMs, message.type);
	if (delay) await new Promise((r) => setTimeout(r, delay));
	if (rolls(faults, faults.fail, message.type, `fail:${message.id}:${msg.id}:${msg.attempts}`)) {
		throw new InjectedFault("injected transient failure");
	}
}

/** Linear, short: the saga's own deadlines bound how long a step may take, so a transient failure should retry soon. */
const retryDelaySeconds = (attempts: number) => Math.min(attempts, 5);

/**
 * Handles a batch message by message: each is parsed, handled, and acked or retried on its own,
 * so one bad message never makes the others of its batch run again. A message that does not
 * parse, or is poison, is forwarded to the dead-letter queue with its reason and acked.
 */
export async function consumeBatch(
	batch: MessageBatch<unknown>,
	service: string,
	deadLetters: Queue,
	handle: (message: Envelope) => Promise<Handled | undefined>,
	plan: Promise<FaultPlan | null> | FaultPlan | null = null,
): Promise<void> {
	const faults = await plan;
	const messages = faults?.shuffle ? shuffled(faults, batch.messages, (m) => m.id) : batch.messages;
	usage.count("queueBatches", 1, batch.queue);
	usage.count("queueReads", messages.length, batch.queue);
	await Promise.all(
		messages.map(async (msg) => {
			const started = Date.now();
			const parsed = envelopeSchema.safeParse(msg.body);
			const fields = {
				queue: batch.queue,
				messageId: parsed.success ? parsed.data.id : msg.id,
				orderId: parsed.success ? parsed.data.correlationId : undefined,
				...(parsed.success ? traceFields(parsed.data.traceparent) : {}),
				type: parsed.success ? parsed.data.type : undefined,
				attempts: msg.attempts,
			};
			try {
				if (!parsed.success)
					throw new PoisonMessage(
						`envelope: ${parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`,
					);
				const message = parsed.data as Envelope;
				if (faults) await injectBefore(faults, message, msg);
				const handled = await handle(message);
				if (
					faults &&
					rolls(faults, faults.crashAfterEffect, message.type, `crash:${message.id}:${msg.id}:${msg.attempts}`)
				) {
					throw new InjectedFault("injected crash after the effect, before the ack");
				}
				msg.ack();
				usage.count("queueAcks");
				observe("message", { service, type: message.type, outcome: "ok" }, Date.now() - started, false);
				// One line per message: a repeat is told by the line's event, not by a line of its own.
				log.info(service, handled?.outcome === "duplicate" ? "message.duplicate" : "message.handled", {
					...fields,
					...spanFields(`handle ${message.type}`, message.traceparent, started, Date.now() - started),
					outcome: "ok",
				});
			} catch (error) {
				if (error instanceof PoisonMessage || error instanceof ZodError) {
					const reason = unapplicableReason(error);
					const letter = deadLetterOf(
						reason,
						{ queue: letterQueue(batch.queue), service, attempts: msg.attempts },
						msg.body,
					);
					try {
						await deadLetters.send(letter, { contentType: "json" });
					} catch (sendError) {
						msg.retry({ delaySeconds: retryDelaySeconds(msg.attempts) });
						log.error(service, "message.dead-letter-failed", { ...fields, error: String(sendError) });
						return;
					}
					msg.ack();
					observe(
						"message",
						{ service, type: fields.type ?? "unparsed", outcome: "dead_letter" },
						Date.now() - started,
						true,
					);
					log.warn(service, "message.dead-lettered", {
						...fields,
						durationMs: Date.now() - started,
						outcome: "dead_letter",
						reason,
					});
					return;
				}
				msg.retry({ delaySeconds: retryDelaySeconds(msg.attempts) });
				observe("message", { service, type: fields.type ?? "unparsed", outcome: "retry" }, Date.now() - started, true);
				// Logged as a failed span: locally, errors thrown in RPC methods do not reach Tail Workers.
				log[error instanceof InjectedFault ? "warn" : "error"](service, "message.failed", {
					...fields,
					...(parsed.success
						? spanFields(`handle ${parsed.data.type}`, parsed.data.traceparent, started, Date.now() - started)
						: {}),
					durationMs: Date.now() - started,
					outcome: "error",
					retried: true,
					error: String(error),
				});
			}
		}),
	);
}

/** The part of a messaging Durable Object a consumer calls. */
export interface MessageHandlerStub {
	handle(message: Envelope): Promise<{ outcome: string; reason?: string }>;
}

/**
 * A context's command consumer: checks the type belongs to the context, parses the payload by
 * its schema (a ZodError dead-letters it), and hands it to the object that owns it.
 */
export function commandConsumer<E>(service: string, objectFor: (env: E, message: Envelope) => MessageHandlerStub) {
	return async (message: Envelope, env: E): Promise<Handled> => {
		if (!isMessageType(message.type) || ownerOf(message.type) !== service) {
			throw new PoisonMessage(`${service} does not handle ${message.type}`);
		}
		const payload = parsePayload(message.type, message.payload);
		const result = await objectFor(env, message).handle({ ...message, payload });
		if (result.outcome === "poison") throw new PoisonMessage(result.reason ?? "unapplicable");
		return result;
	};
}

/** The part of a messaging Durable Object a synchronous caller uses. */
export interface CommandExecutorStub {
	execute(message: Envelope): Promise<{ outcome: string; reason?: string; replies: string[] }>;
}

/**
 * A context's synchronous command endpoint (`POST /commands`, reachable only over its service
 * binding): the same schema checks and the same object as the queue consumer, the replies in the answer.
 */
export function commandEndpoint<E>(service: string, objectFor: (env: E, message: Envelope) => CommandExecutorStub) {
	return async (body: unknown, env: E): Promise<Response> => {
		const parsed = envelopeSchema.safeParse(body);
		const problem = (status: number, code: string, title: string) =>
			new Response(JSON.stringify({ type: `/problems/${code}`, title, status, code }), {
				status,
				headers: { "content-type": "application/problem+json" },
			});
		if (!parsed.success || !isMessageType(parsed.data.type) || ownerOf(parsed.data.type) !== service) {
			return problem(422, "invalid_command", `Not a ${service} command`);
		}
		const payload = messageSchemas[parsed.data.type].safeParse(parsed.data.payload);
		if (!payload.success) return problem(422, "invalid_command", "The payload does not fit its type");
		const message = { ...(parsed.data as Envelope), payload: payload.data };
		const result = await objectFor(env, message).execute(message);
		if (result.outcome === "poison") return problem(409, "command_not_applicable", result.reason ?? "unapplicable");
		return new Response(`{"outcome":${JSON.stringify(result.outcome)},"replies":[${result.replies.join(",")}]}`, {
			headers: { "content-type": "application/json" },
		});
	};
}

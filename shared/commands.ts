/**
 * Commands by RPC. A saga's object relays each command from its outbox as a call to the owning
 * context's `Commands` entrypoint (over a service binding) and gets the replies back as the return
 * value. The context runs the same schema checks and the same object as its queue consumer (which
 * stays for operators replaying a command): its inbox answers a repeat with the recorded replies.
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import { ZodError } from "zod";
import { type Envelope, envelopeSchema } from "./envelope";
import { type FaultPlan, InjectedFault, rolls, ruleFor } from "./faults";
import { isMessageType, parsePayload } from "./messages";
import { log } from "./observability/log";
import { observe } from "./observability/metrics";
import { spanFields } from "./observability/span";
import { traceFields } from "./observability/trace";
import { type CommandExecutorStub, deadLetterOf, unapplicableReason } from "./queue/consume";
import { ownerOf } from "./topology";

export interface CommandResult {
	outcome: "handled" | "duplicate" | "ignored" | "poison";
	reason?: string;
	replies: Envelope[];
}

/** A context's `Commands` entrypoint as a caller sees it through its service binding. */
export interface CommandService {
	execute(message: Envelope): Promise<CommandResult>;
}

export interface CommandContext {
	deadLetters: Queue;
	faults: FaultPlan | null;
}

class Unapplicable extends Error {}

/**
 * Executes one command in its context: parses it, hands it to its object, and returns the replies.
 * A command that can never apply is dead-lettered here with its reason (as its queue consumer
 * would) and answered `poison`; any other failure is thrown, so the caller keeps it and retries.
 */
export function commandExecutor<E>(
	service: string,
	objectFor: (env: E, message: Envelope) => CommandExecutorStub,
	contextOf: (env: E) => Promise<CommandContext>,
) {
	// Deliveries seen per command, so injected faults are a pure function of seed, id and delivery.
	const deliveries = new Map<string, number>();
	return async (body: unknown, env: E): Promise<CommandResult> => {
		const started = Date.now();
		const { deadLetters, faults } = await contextOf(env);
		const parsed = envelopeSchema.safeParse(body);
		const fields = parsed.success
			? { messageId: parsed.data.id, orderId: parsed.data.correlationId, type: parsed.data.type, transport: "rpc" }
			: { transport: "rpc" };
		const span = (outcome: string) =>
			parsed.success
				? spanFields(`handle ${parsed.data.type}`, parsed.data.traceparent, started, Date.now() - started)
				: { durationMs: Date.now() - started, outcome };
		try {
			if (!parsed.success) throw new Unapplicable(`envelope: ${parsed.error.issues.map((i) => i.message).join("; ")}`);
			const message = parsed.data as Envelope;
			if (!isMessageType(message.type) || ownerOf(message.type) !== service)
				throw new Unapplicable(`${service} does not handle ${message.type}`);
			// Counted only while faults are injected: every delivery of a command rolls anew.
			const delivery = faults ? (deliveries.get(message.id) ?? 0) + 1 : 0;
			if (faults) deliveries.set(message.id, delivery);
			if (faults) await injectBefore(faults, message, delivery);
			const payload = parsePayload(message.type, message.payload);
			const result = await objectFor(env, message).execute({ ...message, payload });
			if (result.outcome === "poison") throw new Unapplicable(result.reason ?? "unapplicable");
			if (faults && rolls(faults, faults.crashAfterEffect, message.type, `crash:${message.id}:rpc:${delivery}`))
				throw new InjectedFault("injected crash after the effect, before the answer");
			observe("message", { service, type: message.type, outcome: "ok" }, Date.now() - started, false);
			// One line per command: a repeat is told by the line's event, not by a line of its own.
			log.info(service, result.outcome === "duplicate" ? "message.duplicate" : "message.handled", {
				...fields,
				...traceFields(message.traceparent),
				...span("ok"),
				outcome: "ok",
			});
			return {
				outcome: result.outcome as CommandResult["outcome"],
				replies: result.replies.map((r) => JSON.parse(r) as Envelope),
			};
		} catch (error) {
			const type = parsed.success ? parsed.data.type : "unparsed";
			if (!(error instanceof Unapplicable || error instanceof ZodError)) {
				observe("message", { service, type, outcome: "retry" }, Date.now() - started, true);
				log[error instanceof InjectedFault ? "warn" : "error"](service, "message.failed", {
					...fields,
					...span("error"),
					outcome: "error",
					error: String(error),
				});
				throw error;
			}
			const reason = unapplicableReason(error);
			const letter = deadLetterOf(reason, { queue: `${service}-commands`, service, attempts: 1 }, body);
			await deadLetters.send(letter, { contentType: "json" });
			observe("message", { service, type, outcome: "dead_letter" }, Date.now() - started, true);
			log.warn(service, "message.dead-lettered", { ...fields, ...span("dead_letter"), outcome: "dead_letter", reason });
			return { outcome: "poison", reason, replies: [] };
		}
	};
}

async function injectBefore(faults: FaultPlan, message: Envelope, delivery: number): Promise<void> {
	const delay = ruleFor(faults.delayMs, message.type);
	if (delay) await new Promise((r) => setTimeout(r, delay));
	if (rolls(faults, faults.fail, message.type, `fail:${message.id}:rpc:${delivery}`))
		throw new InjectedFault("injected transient failure");
}

/**
 * The `Commands` entrypoint of a context: what a saga's service binding calls. Poison commands go
 * to the context's own dead-letter queue (`DEAD_LETTERS`), where operators see and replay them.
 */
export function commandsEntrypoint<E extends { DEAD_LETTERS: Queue }>(
	service: string,
	objectFor: (env: E, message: Envelope) => CommandExecutorStub,
	faultsOf: (env: E) => Promise<FaultPlan | null>,
) {
	const run = commandExecutor<E>(service, objectFor, async (env) => ({
		deadLetters: env.DEAD_LETTERS,
		faults: await faultsOf(env),
	}));
	return class Commands extends WorkerEntrypoint<E> implements CommandService {
		execute(message: Envelope): Promise<CommandResult> {
			return run(message, this.env);
		}
	};
}

import { z } from "zod";
import { childSpan, formatTraceparent, parseTraceparent } from "./observability/trace";

const childTraceparent = (parent: string) => formatTraceparent(childSpan(parseTraceparent(parent)));

/**
 * The saga a command comes from, and so the one its replies answer: its kind (the saga's name) and
 * its own id. Contexts copy it onto their replies, which are routed by it rather than by the order.
 */
export const replyToSchema = z.object({ kind: z.string().min(1).max(50), id: z.string().min(1).max(100) });
export type ReplyTo = z.infer<typeof replyToSchema>;

/** Every queue message, whatever its type. The payload is parsed again by the schema of its type. */
export const envelopeSchema = z.object({
	id: z.string().min(1).max(200),
	type: z.string().min(1).max(100),
	version: z.number().int().positive(),
	occurredAt: z.string().datetime(),
	source: z.string().min(1).max(50),
	correlationId: z.string().min(1).max(100),
	causationId: z.string().max(200).nullable(),
	traceparent: z.string().regex(/^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/),
	tracestate: z.string().max(512).optional(),
	/** Absent on events, and on commands and replies sent before sagas named themselves. */
	replyTo: replyToSchema.optional(),
	payload: z.unknown(),
});

export type Envelope<P = unknown> = Omit<z.infer<typeof envelopeSchema>, "payload"> & { payload: P };

/** A message before it is addressed: what a decision produces. */
export interface Outgoing {
	id: string;
	type: string;
	payload: unknown;
}

export interface EnvelopeContext {
	source: string;
	correlationId: string;
	causationId: string | null;
	traceparent: string;
	tracestate?: string;
	replyTo?: ReplyTo;
	now: Date;
}

export function envelope(out: Outgoing, ctx: EnvelopeContext): Envelope {
	return {
		id: out.id,
		type: out.type,
		version: 1,
		occurredAt: ctx.now.toISOString(),
		source: ctx.source,
		correlationId: ctx.correlationId,
		causationId: ctx.causationId,
		traceparent: ctx.traceparent,
		...(ctx.tracestate ? { tracestate: ctx.tracestate } : {}),
		...(ctx.replyTo ? { replyTo: ctx.replyTo } : {}),
		payload: out.payload,
	};
}

/**
 * A message caused by `cause`: same correlation, a child span of its trace, an id derived from the
 * cause so a repeat is recognisable, and the saga the cause came from (a reply goes back to it).
 */
export function causedBy(
	cause: Envelope,
	source: string,
	type: string,
	payload: unknown,
	id = `${cause.id}>${type}`,
): Envelope {
	return envelope(
		{ id, type, payload },
		{
			source,
			correlationId: cause.correlationId,
			causationId: cause.id,
			traceparent: childTraceparent(cause.traceparent),
			tracestate: cause.tracestate,
			replyTo: cause.replyTo,
			now: new Date(),
		},
	);
}

import { runInDurableObject } from "cloudflare:test";
import type { CommandResult, CommandService } from "../commands";
import type { Envelope } from "../envelope";

/**
 * A real queue binding with a tap: what is sent reaches the queue and is kept for the test to
 * read. While `down`, sends are refused, as by a queue that is unavailable.
 */
export class TappedQueue<Body = unknown> implements Queue<Body> {
	readonly sent: Body[] = [];
	refused = 0;
	down = false;

	constructor(private readonly queue: Queue<Body>) {}

	metrics(): Promise<QueueMetrics> {
		return this.queue.metrics();
	}

	async send(body: Body, options?: QueueSendOptions): Promise<QueueSendResponse> {
		if (this.down) return this.refuse(1);
		const response = await this.queue.send(body, options);
		this.sent.push(body);
		return response;
	}

	async sendBatch(
		messages: Iterable<MessageSendRequest<Body>>,
		options?: QueueSendBatchOptions,
	): Promise<QueueSendBatchResponse> {
		const list = [...messages];
		if (this.down) return this.refuse(list.length);
		const response = await this.queue.sendBatch(list, options);
		this.sent.push(...list.map((m) => m.body));
		return response;
	}

	private refuse(count: number): never {
		this.refused += count;
		throw new Error("queue unavailable");
	}
}

type WithEnv = { env: Record<string, unknown> };

/**
 * Taps one queue binding of a running object (it keeps the tap until it is evicted or restarted).
 * The object reads its bindings from `env` at each send, so the tap sees every later send.
 */
export function tapQueue(stub: DurableObjectStub, binding: string, options: { down?: boolean } = {}) {
	return runInDurableObject(stub, (instance: unknown) => {
		const object = instance as WithEnv;
		const tap = new TappedQueue(object.env[binding] as Queue);
		tap.down = options.down ?? false;
		object.env = { ...object.env, [binding]: tap };
		return tap;
	});
}

/**
 * Makes a running object stop right after each commit, as a crash there would: the change and
 * its outbox rows are stored, but neither the relay nor anything after it runs. Evict the object
 * afterwards to restart it.
 */
export function stopAfterCommit(stub: DurableObjectStub) {
	return runInDurableObject(stub, (instance: unknown) => {
		Object.assign(instance as object, { flush: async () => {} });
	});
}

/** A context's Commands binding with a tap: calls reach it and are kept; while `down`, they are refused. */
export class TappedService {
	readonly called: Envelope[] = [];
	refused = 0;
	down = false;
	/** What the context answers, when the test speaks for it (by default, what the binding answers). */
	answer: ((command: Envelope) => Envelope[]) | null = null;
	/** How many of the next answers are lost on the way back: the call reached the context, the caller hears an error. */
	lose = 0;
	/** While set, a call is taken and not answered (a context that hangs) until release(). */
	hang = false;
	private readonly held: (() => void)[] = [];

	constructor(private readonly service: CommandService) {}

	async execute(message: Envelope): Promise<CommandResult> {
		if (this.down) {
			this.refused++;
			throw new Error("service unavailable");
		}
		if (this.hang) {
			this.called.push(message);
			await new Promise<void>((resolve) => this.held.push(resolve));
			return this.answered(message, await this.service.execute(message));
		}
		const result = await this.service.execute(message);
		this.called.push(message);
		return this.answered(message, result);
	}

	/** The context comes back: the calls it held are answered now. */
	release(): void {
		this.hang = false;
		for (const resume of this.held.splice(0)) resume();
	}

	private answered(message: Envelope, result: CommandResult): CommandResult {
		if (this.lose > 0) {
			this.lose--;
			throw new Error("the answer was lost on its way back");
		}
		return this.answer ? { ...result, replies: this.answer(message) } : result;
	}
}

/** Taps one service binding of a running object, as tapQueue does for a queue. */
export function tapService(
	stub: DurableObjectStub,
	binding: string,
	options: { down?: boolean; answer?: (command: Envelope) => Envelope[]; lose?: number; hang?: boolean } = {},
) {
	return runInDurableObject(stub, (instance: unknown) => {
		const object = instance as WithEnv;
		const tap = new TappedService(object.env[binding] as CommandService);
		tap.down = options.down ?? false;
		tap.answer = options.answer ?? null;
		tap.lose = options.lose ?? 0;
		tap.hang = options.hang ?? false;
		object.env = { ...object.env, [binding]: tap };
		return tap;
	});
}

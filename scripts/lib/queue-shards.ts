/**
 * The sharded event queues as the Workers' configs must bind them, from shared/topology.ts: every
 * shard a producer binding in each Worker that publishes onto the queue, in the order Worker (it
 * replays dead letters) and in the gateway (admin replays); a consumer in the queue's consumer
 * Worker with every setting explicit and the same as shard 0's, dead-lettering to the queue's one
 * dead-letter queue; and no binding to a shard the topology does not declare. `npm run deploy`
 * refuses configs that disagree; scripts/lib/queue-shards.unit.test.ts checks the committed ones.
 */
import { EVENT_QUEUES, type EventQueueName, shardsOf } from "../../shared/topology.ts";

/** What every event queue consumer states, never leaving it to the platform's defaults. */
export const CONSUMER_SETTINGS = [
	"max_batch_size",
	"max_batch_timeout",
	"max_retries",
	"retry_delay",
	"dead_letter_queue",
] as const;

type Table = Record<string, unknown>;
const tables = (v: unknown): Table[] =>
	Array.isArray(v) ? v.filter((t): t is Table => typeof t === "object" && t !== null) : [];

const QUEUE_NAMES = Object.keys(EVENT_QUEUES) as EventQueueName[];

/** The event queue a name is, or looks like a shard of (`<queue>` or `<queue>-<n>`, declared or not). */
const eventQueueOf = (name: string): EventQueueName | undefined =>
	QUEUE_NAMES.find((q) => name === q || new RegExp(`^${q}-\\d+$`).test(name));

/** The Workers that bind a queue's producers: its publishers, the order Worker and the gateway. */
const producersIn = (queue: EventQueueName): string[] => [
	...new Set<string>([...EVENT_QUEUES[queue].publishers, "order", "gateway"]),
];

/** Why these configs (by Worker name: order, billing, …, gateway) disagree with the topology's shards; empty when they agree. */
export function shardProblems(configs: Record<string, object>): string[] {
	const out: string[] = [];
	for (const [worker, raw] of Object.entries(configs)) {
		const queues = (raw as Table).queues as Table | undefined;
		const producers = tables(queues?.producers).filter((p) => eventQueueOf(String(p.queue)));
		const consumers = tables(queues?.consumers).filter((c) => eventQueueOf(String(c.queue)));
		for (const queue of QUEUE_NAMES) {
			const shards = shardsOf(queue);
			const declared = new Set(shards.map((s) => s.queue));
			const mine = producers.filter((p) => eventQueueOf(String(p.queue)) === queue);
			if (producersIn(queue).includes(worker)) {
				for (const s of shards)
					if (!mine.some((p) => p.binding === s.producer && p.queue === s.queue))
						out.push(`${worker}: no producer binding ${s.producer} → ${s.queue}`);
			}
			for (const p of mine) {
				const shard = shards.find((s) => s.queue === p.queue);
				if (!producersIn(queue).includes(worker))
					out.push(`${worker}: binds ${String(p.queue)}, which it neither publishes onto nor replays`);
				else if (!shard) out.push(`${worker}: ${String(p.queue)} is not a shard of ${queue} (${shards.length} shards)`);
				else if (p.binding !== shard.producer)
					out.push(`${worker}: ${String(p.queue)} is bound as ${String(p.binding)}, not ${shard.producer}`);
			}
			const consumed = consumers.filter((c) => eventQueueOf(String(c.queue)) === queue);
			if (EVENT_QUEUES[queue].consumer !== worker) {
				for (const c of consumed)
					out.push(`${worker}: consumes ${String(c.queue)}, which is ${EVENT_QUEUES[queue].consumer}'s`);
				continue;
			}
			const first = consumed.find((c) => c.queue === queue);
			for (const s of shards) {
				const c = consumed.find((c) => c.queue === s.queue);
				if (!c) {
					out.push(`${worker}: no consumer of ${s.queue}`);
					continue;
				}
				for (const setting of CONSUMER_SETTINGS)
					if (c[setting] === undefined) out.push(`${worker}: the consumer of ${s.queue} leaves ${setting} unset`);
					else if (first && c[setting] !== first[setting])
						out.push(
							`${worker}: the consumer of ${s.queue} has ${setting} = ${String(c[setting])}, shard 0 has ${String(first[setting])}`,
						);
				if (c.dead_letter_queue !== undefined && c.dead_letter_queue !== `${queue}-dlq`)
					out.push(`${worker}: ${s.queue} dead-letters to ${String(c.dead_letter_queue)}, not ${queue}-dlq`);
			}
			for (const c of consumed.filter((c) => !declared.has(String(c.queue))))
				out.push(`${worker}: ${String(c.queue)} is not a shard of ${queue} (${shards.length} shards)`);
		}
	}
	return out;
}

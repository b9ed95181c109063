import { QUEUES, shardFor } from "../topology";

/**
 * The producer, in this Worker's env, of the shard of `queue` that a message with this correlation
 * id goes to (shared/topology.ts picks it); undefined for a queue the topology does not have or
 * this Worker does not bind.
 */
export const producerFor = (env: object, queue: string, correlationId: string): Queue | undefined =>
	Object.hasOwn(QUEUES, queue)
		? (env as Record<string, Queue | undefined>)[shardFor(queue, correlationId).producer]
		: undefined;

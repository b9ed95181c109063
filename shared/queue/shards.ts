import { shardFor } from "../topology";

/**
 * The producer, in this Worker's env, of the shard of `queue` that a message with this correlation
 * id goes to (shared/topology.ts picks it); undefined when the Worker does not bind that queue.
 */
export const producerFor = (env: object, queue: string, correlationId: string): Queue | undefined =>
	(env as Record<string, Queue | undefined>)[shardFor(queue, correlationId).producer];

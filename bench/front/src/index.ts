import { DurableObject } from "cloudflare:workers";

/** The ceiling: the cheapest round trip the runtime offers, a Worker calling a Durable Object over RPC. */
export class Ping extends DurableObject {
	async ping(n: number): Promise<number> {
		return n + 1;
	}

	/** The memory floor: a bare SQLite object, one table and one row, as small as an object with data gets. */
	async hold(): Promise<number> {
		const sql = this.ctx.storage.sql;
		sql.exec("CREATE TABLE IF NOT EXISTS held (id INTEGER PRIMARY KEY, at INTEGER NOT NULL)");
		return sql.exec("INSERT INTO held (at) VALUES (?)", Date.now()).rowsWritten;
	}
}

interface FrontEnv {
	GATEWAY: Fetcher;
	PEER: Fetcher;
	PING: DurableObjectNamespace<Ping>;
	ORDER: Fetcher;
	INVENTORY: Fetcher;
	BILLING: Fetcher;
	SHIPPING: Fetcher;
}

const CONTEXTS = ["order", "inventory", "billing", "shipping"] as const;

export default {
	async fetch(request: Request, env: FrontEnv): Promise<Response> {
		const url = new URL(request.url);
		if (url.pathname === "/health") return env.GATEWAY.fetch(new Request(new URL("/health", url), request));
		if (url.pathname === "/usage-by-service") {
			const bindings = { order: env.ORDER, inventory: env.INVENTORY, billing: env.BILLING, shipping: env.SHIPPING };
			const parts = await Promise.all(
				CONTEXTS.map(async (name) => [name, await (await bindings[name].fetch("https://internal/admin/usage")).json()]),
			);
			return Response.json(Object.fromEntries(parts));
		}
		if (url.pathname.startsWith("/bare/")) {
			const id = url.pathname.slice("/bare/".length);
			return Response.json({ id, written: await env.PING.get(env.PING.idFromName(`bare-${id}`)).hold() });
		}
		if (url.pathname.startsWith("/ceiling/")) {
			const id = url.pathname.slice("/ceiling/".length);
			const n = await env.PING.get(env.PING.idFromName(id)).ping(1);
			return Response.json({ id, n });
		}
		for (const [prefix, service] of [
			["/ours", env.GATEWAY],
			["/peer", env.PEER],
		] as const) {
			if (url.pathname.startsWith(`${prefix}/`)) {
				const target = new URL(url.pathname.slice(prefix.length) + url.search, url);
				return service.fetch(new Request(target, request));
			}
		}
		return new Response("not found", { status: 404 });
	},
} satisfies ExportedHandler<FrontEnv>;

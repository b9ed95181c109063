/** Who acts: the gateway names the caller it verified; the order Worker is reached only through bindings. */
export const actorOf = (req: Request) => req.headers.get("x-actor") ?? "unknown";

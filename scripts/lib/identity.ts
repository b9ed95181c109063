/**
 * The local stand-in for the identity provider: one signing key kept with the local state, its
 * public half served as a JWKS over HTTP for the gateway to fetch, and tokens signed with it. In
 * production the provider is someone else's (the gateway's AUTH_* settings name it).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from "jose";
import { ALG, LOCAL_AUDIENCE, LOCAL_ISSUER, type LocalIdentity } from "./tokens.ts";

export { type LocalIdentity, mintToken } from "./tokens.ts";

/** Where `npm start` and `npm run token` keep the signing key: ignored local state. */
export const LOCAL_IDENTITY_DIR = ".wrangler/identity";

/** A new signing key, with its thumbprint as kid. */
export async function createIdentity(): Promise<LocalIdentity> {
	const { privateKey, publicKey } = await generateKeyPair(ALG, { extractable: true });
	const publicJwk = { ...(await exportJWK(publicKey)), alg: ALG, use: "sig" };
	const kid = await calculateJwkThumbprint(publicJwk);
	return { privateJwk: { ...(await exportJWK(privateKey)), alg: ALG, kid }, publicJwk: { ...publicJwk, kid } };
}

/** The signing key under `dir`, created on first use. */
export async function loadOrCreateIdentity(dir: string): Promise<LocalIdentity> {
	const file = join(dir, "signing-key.json");
	if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as LocalIdentity;
	const identity = await createIdentity();
	mkdirSync(dir, { recursive: true });
	writeFileSync(file, `${JSON.stringify(identity, null, "\t")}\n`, { mode: 0o600 });
	return identity;
}

export interface JwksServer {
	url: string;
	close(): Promise<void>;
}

/** Serves the public key set at http://127.0.0.1:<free port>/.well-known/jwks.json, where the local gateway fetches it. */
export function serveJwks(identity: LocalIdentity): Promise<JwksServer> {
	const body = JSON.stringify({ keys: [identity.publicJwk] });
	const server = createServer((req, res) => {
		if (req.url !== "/.well-known/jwks.json") {
			res.writeHead(404).end();
			return;
		}
		res.writeHead(200, { "content-type": "application/jwk-set+json", "cache-control": "max-age=300" }).end(body);
	});
	return new Promise((resolve, reject) => {
		server.once("error", reject);
		server.listen(0, "127.0.0.1", () => {
			const address = server.address();
			if (typeof address !== "object" || !address) return reject(new Error("the JWKS server has no port"));
			resolve({
				url: `http://127.0.0.1:${address.port}/.well-known/jwks.json`,
				close: () =>
					new Promise((done) => {
						server.close(() => done());
						server.closeAllConnections();
					}),
			});
		});
	});
}

/** The gateway's settings for a local key set. */
export const localAuthVars = (jwksUrl: string) => ({
	AUTH_JWKS_URL: jwksUrl,
	AUTH_ISSUER: LOCAL_ISSUER,
	AUTH_AUDIENCE: LOCAL_AUDIENCE,
});

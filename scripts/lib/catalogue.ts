/** The demo catalogue `npm start` seeds: SKU, stock on hand, unit price in cents. */
export const DEMO_CATALOGUE = [
	{ sku: "TSHIRT-RED-M", onHand: 100, unitPrice: 1999 },
	{ sku: "MUG-CLASSIC", onHand: 50, unitPrice: 1250 },
	{ sku: "HOODIE-GREY-L", onHand: 20, unitPrice: 4900 },
	{ sku: "STICKER-PACK", onHand: 500, unitPrice: 399 },
];

/** Seeds SKUs that do not exist yet, so a restart never overwrites stock that orders have moved. */
export async function seedCatalogue(url: string, adminToken: string): Promise<string[]> {
	const seeded: string[] = [];
	const auth = { authorization: `Bearer ${adminToken}` };
	for (const item of DEMO_CATALOGUE) {
		const existing = await fetch(`${url}/inventory/${item.sku}`, { headers: auth });
		if (existing.status !== 404) continue;
		const res = await fetch(`${url}/inventory/${item.sku}`, {
			method: "PUT",
			headers: { ...auth, "content-type": "application/json" },
			body: JSON.stringify({ onHand: item.onHand, unitPrice: item.unitPrice }),
		});
		if (!res.ok) throw new Error(`seeding ${item.sku}: ${res.status} ${await res.text()}`);
		seeded.push(item.sku);
	}
	return seeded;
}

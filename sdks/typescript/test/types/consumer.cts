// The CommonJS view of the same types (require), compiled by `npm run test:types`.
import sdk = require("@switchboard/sdk");
const sb = new sdk.Switchboard({ apiKey: "sbk_x" });
export const lead: Promise<sdk.Lead> = sb.leads.get("lead_1");
export const isTyped = (e: unknown): boolean => e instanceof sdk.NotFoundError && e.status === 404;

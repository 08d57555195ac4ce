// The client's method signatures, derived from the generated OpenAPI types and the operation table: a method takes its
// path parameters in order, then its JSON body (if the operation has one), then its query (if it has one), then
// per-request options. Nothing here exists at run time.
import type { components, operations } from "./generated/v1.js";
import type { OperationId, OperationTable } from "./operations.js";
import type { RequestOptions } from "./http.js";

export type Schemas = components["schemas"];
type Op<K extends OperationId> = operations[K];

/** One string per path parameter, in the path's order. */
type Strings<P> = P extends readonly [unknown, ...infer Rest] ? [string, ...Strings<Rest>] : [];
type PathArgs<K extends OperationId> = Strings<OperationTable[K]["pathParams"]>;

export type BodyOf<K extends OperationId> =
  NonNullable<Op<K>["requestBody"]> extends { content: { "application/json": infer B } } ? B : never;
type BodyArgs<K extends OperationId> = OperationTable[K] extends { body: true }
  ? undefined extends Op<K>["requestBody"] ? [body?: BodyOf<K>] : [body: BodyOf<K>]
  : [];

export type QueryOf<K extends OperationId> = Op<K>["parameters"] extends { query?: infer Q } ? NonNullable<Q> : never;
type QueryArgs<K extends OperationId> = OperationTable[K] extends { query: true }
  ? Op<K>["parameters"] extends { query: unknown } ? [query: QueryOf<K>] : [query?: QueryOf<K>]
  : [];

// Not Exclude<T, PartialList>: every list is structurally a PartialList (and every record a PartialRecord), so only
// those members themselves go.
type WithoutPartial<T> = T extends unknown
  ? Schemas["PartialList"] extends T ? never : Schemas["PartialRecord"] extends T ? never : T
  : never;
type ContentOf<R> = R extends { content: { "application/json": infer T } }
  ? WithoutPartial<T> // with `fields`, records carry only the fields asked for (and `id`)
  : R extends { content: Record<string, unknown> } ? string : void;
type Responses<K extends OperationId> = Op<K>["responses"];
/** What an operation's method resolves to: its success body (void for 202/204 answers without one). */
export type ResultOf<K extends OperationId> =
  Responses<K> extends { 200: infer R } ? ContentOf<R>
  : Responses<K> extends { 201: infer R } ? ContentOf<R>
  : Responses<K> extends { 202: infer R } ? ContentOf<R>
  : void;
/** One record of a paginated list operation. */
export type ItemOf<K extends OperationId> = ResultOf<K> extends { data: (infer T)[] } ? T : never;

export type OperationMethod<K extends OperationId> =
  (...args: [...PathArgs<K>, ...BodyArgs<K>, ...QueryArgs<K>, options?: RequestOptions]) => Promise<ResultOf<K>>;
export type PaginateMethod<K extends OperationId> =
  (...args: [...PathArgs<K>, ...QueryArgs<K>, options?: RequestOptions]) => AsyncIterableIterator<ItemOf<K>>;

/** `list` → `listAll`, `listDeliveries` → `listAllDeliveries`. */
export type AllName<N extends string> = N extends "list" ? "listAll" : N extends `list${infer Rest}` ? `listAll${Rest}` : never;

export type ResourceName = OperationTable[OperationId]["resource"];
export type Resource<R extends ResourceName> =
  { [K in OperationId as OperationTable[K]["resource"] extends R ? OperationTable[K]["name"] : never]: OperationMethod<K> } &
  { [K in OperationId as OperationTable[K] extends { resource: R; paginated: true } ? AllName<OperationTable[K]["name"]> : never]: PaginateMethod<K> };
export type Resources = { readonly [R in ResourceName]: Resource<R> };

// Names for the records and inputs people use most.
export type Contact = Schemas["ContactResponse"];
export type ContactInput = Schemas["ContactInput"];
export type Lead = Schemas["LeadResponse"];
export type LeadInput = Schemas["LeadInput"];
export type Deal = Schemas["DealResponse"];
export type DealInput = Schemas["DealInput"];
export type Activity = Schemas["ActivityResponse"];
export type Task = Schemas["TaskResponse"];
export type Ticket = Schemas["TicketResponse"];
export type Call = Schemas["CallResponse"];
export type Payment = Schemas["PaymentResponse"];
export type ChatSession = Schemas["ChatSessionResponse"];
export type ChatMessage = Schemas["ChatMessageResponse"];
export type Webhook = Schemas["WebhookResponse"];
export type WebhookInput = Schemas["WebhookInput"];
export type Delivery = Schemas["DeliveryResponse"];
export type Installation = Schemas["InstallationResponse"];
export type ApiKey = Schemas["ApiKeyResponse"];
export type OAuthApp = Schemas["OAuthAppResponse"];

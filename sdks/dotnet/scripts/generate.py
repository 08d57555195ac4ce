#!/usr/bin/env python3
"""Generates the .NET SDK's models and operation methods from the v1 OpenAPI snapshot.

    /usr/bin/python3 sdks/dotnet/scripts/generate.py          # rewrites src/Switchboard.Client/Generated/*.g.cs
    /usr/bin/python3 sdks/dotnet/scripts/generate.py --check  # exits 1 when the committed files differ (a test runs this)

The names of the client's resources and methods (client.Contacts.ListAsync, client.Leads.ConvertAsync, ...) are the
SDK's public surface, so they are written by hand in OPERATIONS below (the same names as the TypeScript and Python
SDKs); an operationId of the document missing from this table fails the generation.
"""
import json
import os
import re
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
SNAPSHOT = os.path.join(ROOT, "tests", "Switchboard.Tests", "Docs", "openapi-v1.snapshot.json")
OUT = os.path.join(ROOT, "sdks", "dotnet", "src", "Switchboard.Client", "Generated")

# operationId -> (resource property on SwitchboardClient, method name without the Async suffix)
OPERATIONS = {
    "getMe": ("Auth", "Me"),
    "acceptInvitation": ("Auth", "AcceptInvitation"),
    "listAuditLogs": ("AuditLogs", "List"),
    "sendChatMessage": ("Chat", "SendMessage"),
    "getUsage": ("Usage", "Get"),
    "getApiKeyUsage": ("ApiKeys", "Usage"),
    "getOrganization": ("Organization", "Get"),
    "integrationOAuthCallback": ("Integrations", "OAuthCallback"),
    "getOverview": ("Overview", "Get"),
    "receiveIntegrationInbound": ("Integrations", "ReceiveInbound"),
    "verifyIntegrationInbound": ("Integrations", "VerifyInbound"),
    "receiveProviderInbound": ("Integrations", "ReceiveProviderInbound"),
    "signup": ("Auth", "Signup"),
    "login": ("Auth", "Login"),
    "refreshToken": ("Auth", "Refresh"),
    "logout": ("Auth", "Logout"),
    "listMembers": ("Members", "List"),
    "updateMember": ("Members", "Update"),
    "removeMember": ("Members", "Remove"),
    "createInvitation": ("Invitations", "Create"),
    "listInvitations": ("Invitations", "List"),
    "revokeInvitation": ("Invitations", "Revoke"),
    "createApiKey": ("ApiKeys", "Create"),
    "listApiKeys": ("ApiKeys", "List"),
    "getApiKey": ("ApiKeys", "Get"),
    "updateApiKey": ("ApiKeys", "Update"),
    "revokeApiKey": ("ApiKeys", "Revoke"),
    "rotateApiKey": ("ApiKeys", "Rotate"),
    "listContacts": ("Contacts", "List"),
    "createContact": ("Contacts", "Create"),
    "getContact": ("Contacts", "Get"),
    "updateContact": ("Contacts", "Update"),
    "deleteContact": ("Contacts", "Delete"),
    "listLeads": ("Leads", "List"),
    "createLead": ("Leads", "Create"),
    "getLead": ("Leads", "Get"),
    "updateLead": ("Leads", "Update"),
    "deleteLead": ("Leads", "Delete"),
    "convertLead": ("Leads", "Convert"),
    "listDeals": ("Deals", "List"),
    "createDeal": ("Deals", "Create"),
    "getDeal": ("Deals", "Get"),
    "updateDeal": ("Deals", "Update"),
    "deleteDeal": ("Deals", "Delete"),
    "listActivities": ("Activities", "List"),
    "createActivity": ("Activities", "Create"),
    "getActivity": ("Activities", "Get"),
    "updateActivity": ("Activities", "Update"),
    "deleteActivity": ("Activities", "Delete"),
    "listTasks": ("Tasks", "List"),
    "createTask": ("Tasks", "Create"),
    "getTask": ("Tasks", "Get"),
    "updateTask": ("Tasks", "Update"),
    "deleteTask": ("Tasks", "Delete"),
    "completeTask": ("Tasks", "Complete"),
    "listTickets": ("Tickets", "List"),
    "createTicket": ("Tickets", "Create"),
    "getTicket": ("Tickets", "Get"),
    "updateTicket": ("Tickets", "Update"),
    "deleteTicket": ("Tickets", "Delete"),
    "listCalls": ("Calls", "List"),
    "createCall": ("Calls", "Create"),
    "getCall": ("Calls", "Get"),
    "updateCall": ("Calls", "Update"),
    "deleteCall": ("Calls", "Delete"),
    "addCallTranscript": ("Calls", "AddTranscript"),
    "listPayments": ("Payments", "List"),
    "createPayment": ("Payments", "Create"),
    "getPayment": ("Payments", "Get"),
    "updatePayment": ("Payments", "Update"),
    "deletePayment": ("Payments", "Delete"),
    "listChatSessions": ("ChatSessions", "List"),
    "createChatSession": ("ChatSessions", "Create"),
    "getChatSession": ("ChatSessions", "Get"),
    "updateChatSession": ("ChatSessions", "Update"),
    "deleteChatSession": ("ChatSessions", "Delete"),
    "listChatMessages": ("ChatMessages", "List"),
    "createChatMessage": ("ChatMessages", "Create"),
    "getChatMessage": ("ChatMessages", "Get"),
    "getAnalyticsSummary": ("Analytics", "Summary"),
    "getCallAnalytics": ("Analytics", "Calls"),
    "getLeadAnalytics": ("Analytics", "Leads"),
    "setOrganizationPlan": ("Admin", "SetOrganizationPlan"),
    "listWebhookEventTypes": ("Webhooks", "ListEventTypes"),
    "createWebhook": ("Webhooks", "Create"),
    "listWebhooks": ("Webhooks", "List"),
    "getWebhook": ("Webhooks", "Get"),
    "updateWebhook": ("Webhooks", "Update"),
    "deleteWebhook": ("Webhooks", "Delete"),
    "listWebhookDeliveries": ("Webhooks", "ListDeliveries"),
    "retryWebhookDelivery": ("Webhooks", "RetryDelivery"),
    "retryWebhookDeliveries": ("Webhooks", "RetryDeliveries"),
    "testWebhook": ("Webhooks", "Test"),
    "rotateWebhookSecret": ("Webhooks", "RotateSecret"),
    "replayWebhook": ("Webhooks", "Replay"),
    "createWebhookPortalLink": ("Webhooks", "CreatePortalLink"),
    "listWebhookPortalLinks": ("Webhooks", "ListPortalLinks"),
    "revokeWebhookPortalLink": ("Webhooks", "RevokePortalLink"),
    "listIntegrationProviders": ("Integrations", "ListProviders"),
    "getIntegrationProvider": ("Integrations", "GetProvider"),
    "getIntegrationProviderIcon": ("Integrations", "GetProviderIcon"),
    "listIntegrationProviderReviews": ("Integrations", "ListProviderReviews"),
    "putMyIntegrationProviderReview": ("Integrations", "PutMyProviderReview"),
    "deleteMyIntegrationProviderReview": ("Integrations", "DeleteMyProviderReview"),
    "createIntegration": ("Integrations", "Create"),
    "listIntegrations": ("Integrations", "List"),
    "getIntegration": ("Integrations", "Get"),
    "updateIntegration": ("Integrations", "Update"),
    "deleteIntegration": ("Integrations", "Delete"),
    "testIntegration": ("Integrations", "Test"),
    "getIntegrationStatus": ("Integrations", "Status"),
    "connectIntegration": ("Integrations", "Connect"),
    "createIntegrationRule": ("Integrations", "CreateRule"),
    "listIntegrationRules": ("Integrations", "ListRules"),
    "getIntegrationRule": ("Integrations", "GetRule"),
    "updateIntegrationRule": ("Integrations", "UpdateRule"),
    "deleteIntegrationRule": ("Integrations", "DeleteRule"),
    "listIntegrationActionRuns": ("Integrations", "ListActionRuns"),
    "retryIntegrationActionRun": ("Integrations", "RetryActionRun"),
    "startIntegrationSync": ("Integrations", "Sync"),
    "listIntegrationSyncRuns": ("Integrations", "ListSyncRuns"),
    "getIntegrationSyncRun": ("Integrations", "GetSyncRun"),
    "createOAuthApp": ("OAuthApps", "Create"),
    "listOAuthApps": ("OAuthApps", "List"),
    "getOAuthApp": ("OAuthApps", "Get"),
    "updateOAuthApp": ("OAuthApps", "Update"),
    "deleteOAuthApp": ("OAuthApps", "Delete"),
    "rotateOAuthAppSecret": ("OAuthApps", "RotateSecret"),
    "listOAuthAuthorizations": ("OAuthAuthorizations", "List"),
    "getOAuthAuthorization": ("OAuthAuthorizations", "Get"),
    "revokeOAuthAuthorization": ("OAuthAuthorizations", "Revoke"),
    "exportUsage": ("Usage", "Export"),
}

HEADER = "// <auto-generated> by sdks/dotnet/scripts/generate.py from tests/Switchboard.Tests/Docs/openapi-v1.snapshot.json; do not edit.\n"
KEYWORDS = {"params", "object", "string", "event", "class", "namespace", "operator", "base", "checked", "fixed", "lock", "ref", "out", "in", "is", "as"}


def pascal(name):
    name = re.sub(r"[^0-9A-Za-z]+(.)?", lambda m: (m.group(1) or "").upper(), name)
    return name[0].upper() + name[1:]


def camel(name):
    p = pascal(name)
    p = p[0].lower() + p[1:]
    return "@" + p if p in KEYWORDS else p


def ref_name(ref):
    return ref.split("/")[-1]


def model_name(name):
    m = re.match(r"ListResponseOf(\w+)$", name)
    if m:
        return f"Page<{m.group(1)}>"
    if name == "JsonObject":
        return "JsonObject"
    if name in ("JsonNode", "JsonElement"):
        return "JsonNode"
    return name


def cs_type(s):
    """The C# type of a schema, without its nullability mark, and whether null is allowed."""
    if "$ref" in s:
        return model_name(ref_name(s["$ref"])), False
    for key in ("oneOf", "anyOf"):
        if key in s:
            parts = [p for p in s[key] if p.get("type") != "null"]
            nullable = len(parts) < len(s[key])
            if len(parts) >= 1:
                t, n = cs_type(parts[0])  # anyOf [full, partial] (fields=): the full record
                return t, nullable or n
            return "JsonNode", True
    t = s.get("type")
    nullable = False
    if isinstance(t, list):
        nullable = "null" in t
        rest = [x for x in t if x != "null"]
        t = rest[0] if len(rest) == 1 else None
    fmt = s.get("format")
    if t == "string":
        base = {"date-time": "DateTimeOffset", "date": "DateOnly"}.get(fmt, "string")
    elif t == "integer":
        base = "long" if fmt == "int64" else "int"
    elif t == "number":
        base = "decimal"
    elif t == "boolean":
        base = "bool"
    elif t == "array":
        it, itn = cs_type(s.get("items", {}))
        base = f"IReadOnlyList<{it}{'?' if itn else ''}>"
    elif t == "object":
        ap = s.get("additionalProperties")
        if isinstance(ap, dict):
            vt, vn = cs_type(ap)
            base = f"IReadOnlyDictionary<string, {vt}{'?' if vn else ''}>"
        else:
            base = "JsonObject"
    else:
        base, nullable = "JsonNode", True
    return base, nullable


def xml(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def doc(lines, indent, text, tag="summary", escape=True):
    text = (xml(text.strip()) if escape else text.strip()) or "(undocumented)"
    body = [l.rstrip() for l in text.splitlines()]
    lines.append(f"{indent}/// <{tag}>")
    lines.extend(f"{indent}/// {l}".rstrip() for l in body)
    lines.append(f"{indent}/// </{tag}>")


def enum_note(s):
    values = s.get("enum") or next((p.get("enum") for p in s.get("oneOf", []) + s.get("anyOf", []) if p.get("enum")), None)
    if not values:
        return ""
    return " One of: " + ", ".join(f"`{v}`" for v in values if v is not None) + "."


def properties(lines, owner, schema, input_model):
    required = set(schema.get("required", []))
    for name, prop in schema.get("properties", {}).items():
        t, nullable = cs_type(prop)
        member = pascal(name)
        if member == owner:
            member += "Value"
        doc(lines, "    ", (prop.get("description") or f"The `{name}` field.") + enum_note(prop))
        lines.append(f'    [JsonPropertyName("{name}")]')
        if name in required and not nullable:
            if input_model:
                lines.append(f"    public required {t} {member} {{ get; init; }}")
            elif t in ("string", "JsonObject", "JsonNode") or t.startswith(("IReadOnly", "Page<")) or t[0].isupper() and t not in ("DateTimeOffset", "DateOnly"):
                lines.append(f"    public {t} {member} {{ get; init; }} = default!;")
            else:
                lines.append(f"    public {t} {member} {{ get; init; }}")
        else:
            lines.append(f"    public {t}? {member} {{ get; init; }}")
        lines.append("")
    if lines[-1] == "":
        lines.pop()


def main():
    spec = json.load(open(SNAPSHOT, encoding="utf-8"))
    schemas = spec["components"]["schemas"]
    operations = []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict) and "operationId" in op:
                operations.append((path, method.upper(), op))
    missing = [op["operationId"] for _, _, op in operations if op["operationId"] not in OPERATIONS]
    if missing:
        sys.exit("operations without a name in OPERATIONS: " + ", ".join(missing))
    stale = sorted(set(OPERATIONS) - {op["operationId"] for _, _, op in operations})
    if stale:
        sys.exit("OPERATIONS names operations the document no longer has: " + ", ".join(stale))

    inputs = set()
    for _, _, op in operations:
        body = op.get("requestBody")
        if body:
            t, _ = cs_type(body["content"]["application/json"]["schema"])
            inputs.add(t)

    # Models
    models = [HEADER, "#nullable enable", "using System.Text.Json.Nodes;", "using System.Text.Json.Serialization;", "",
              "namespace Switchboard.Client;", ""]
    model_types = []
    for name, schema in schemas.items():
        if model_name(name) != name or name in ("JsonObject", "JsonNode", "JsonElement") or schema.get("type") != "object":
            continue
        model_types.append(name)
        doc(models, "", schema.get("description") or f"The API's `{name}` object.")
        models.append(f"public sealed partial record {name}")
        models.append("{")
        properties(models, name, schema, name in inputs)
        models.append("}")
        models.append("")

    # Operations
    ops = [HEADER, "#nullable enable", "using System.Globalization;", "", "namespace Switchboard.Client;", ""]
    resources = {}
    serializable = set(model_types)
    for path, method, op in operations:
        resources.setdefault(OPERATIONS[op["operationId"]][0], []).append((path, method, op))
    client = ["public sealed partial class SwitchboardClient", "{"]
    for resource in sorted(resources):
        client.append(f"    private {resource}Resource? _{camel(resource).lstrip('@')};")
        doc(client, "    ", f"The {resource} operations of the API.", escape=False)
        client.append(f"    public {resource}Resource {resource} => _{camel(resource).lstrip('@')} ??= new(this);")
        client.append("")
        doc(ops, "", f"The {resource} operations: <c>client.{resource}</c>.", escape=False)
        ops.append(f"public sealed partial class {resource}Resource")
        ops.append("{")
        ops.append("    private readonly SwitchboardClient _client;")
        ops.append("")
        ops.append(f"    internal {resource}Resource(SwitchboardClient client) => _client = client;")
        for path, method, op in resources[resource]:
            ops.append("")
            ops.extend(method_lines(path, method, op, serializable))
        ops.append("}")
        ops.append("")
    client[-1] = "}"
    ops.extend(client)
    ops.append("")
    ops.extend(query_records(operations))

    context = [HEADER, "#nullable enable", "using System.Text.Json;", "using System.Text.Json.Serialization;", "", "namespace Switchboard.Client;", "",
               "/// <summary>System.Text.Json source generation for every model of the API (no reflection at run time).</summary>",
               "[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]"]
    context.extend(f"[JsonSerializable(typeof({t}))]" for t in sorted(serializable | {"WebhookEvent"}))
    context.append("public sealed partial class SwitchboardJsonContext : JsonSerializerContext;")
    context.append("")

    files = {"Models.g.cs": "\n".join(models), "Operations.g.cs": "\n".join(ops), "SwitchboardJsonContext.g.cs": "\n".join(context)}
    check = "--check" in sys.argv
    drift = []
    for name, text in files.items():
        target = os.path.join(OUT, name)
        current = open(target, encoding="utf-8").read() if os.path.exists(target) else None
        if current != text:
            drift.append(name)
            if not check:
                os.makedirs(OUT, exist_ok=True)
                with open(target, "w", encoding="utf-8", newline="\n") as f:
                    f.write(text)
    if check and drift:
        sys.exit("out of date with the OpenAPI snapshot (run sdks/dotnet/scripts/generate.py): " + ", ".join(drift))
    print(("up to date: " if not drift else "written: ") + ", ".join(drift or files))


def query_params(op):
    return [p for p in op.get("parameters", []) if p.get("in") == "query"]


def query_type(op):
    return pascal(op["operationId"]) + "Query"


def type_info(t):
    return re.sub(r"[^0-9A-Za-z]", "", t)


def method_lines(path, method, op, serializable):
    op_id = op["operationId"]
    resource, name = OPERATIONS[op_id]
    security = op.get("security")
    auth = "OperationAuth.None" if security == [] else "OperationAuth.Admin" if any("adminToken" in s for s in security or []) else "OperationAuth.Credential"
    path_params = re.findall(r"{(\w+)}", path)
    args = [f"string {camel(p)}" for p in path_params]
    body = op.get("requestBody")
    body_expr = "null"
    if body:
        t, nullable = cs_type(body["content"]["application/json"]["schema"])
        serializable.add(t)
        if body.get("required") and not nullable:
            args.append(f"{t} body")
        else:
            args.append(f"{t}? body = null")
        body_expr = f"body is null ? null : SwitchboardClient.Serialize(body, SwitchboardJsonContext.Default.{type_info(t)})"
    has_query = bool(query_params(op))
    if has_query:
        args.append(f"{query_type(op)}? query = null")
    args += ["RequestOptions? options = null", "CancellationToken cancellationToken = default"]
    success = next((r for c, r in sorted(op["responses"].items()) if c.startswith("2")), {})
    content = success.get("content") or {}
    url = "$\"" + re.sub(r"{(\w+)}", lambda m: "{Uri.EscapeDataString(" + camel(m.group(1)) + ")}", path) + "\"" if path_params else f'"{path}"'
    request = (f"new ApiRequest(HttpMethod.{method.capitalize()}, {url}, {auth}) {{ " + (f"Body = {body_expr}, " if body else "") +
               (f"Query = query, " if has_query else "") + "Options = options }")
    lines = []
    summary = op.get("summary") or op_id
    doc(lines, "    ", f"{xml(summary)}.\n<c>{method} {path}</c> (operation <c>{op_id}</c>).", escape=False)
    lines.append(f'    [SwitchboardOperation("{op_id}")]')
    if "application/json" in content:
        t, _ = cs_type(content["application/json"]["schema"])
        serializable.add(t)
        ret = f"Task<{t}>"
        call = f"_client.SendAsync({request}, SwitchboardJsonContext.Default.{type_info(t)}, cancellationToken)"
    elif content:
        ret = "Task<string>"
        call = f"_client.SendForTextAsync({request}, cancellationToken)"
    else:
        ret = "Task"
        call = f"_client.SendAsync({request}, cancellationToken)"
    lines.append(f"    public {ret} {name}Async({', '.join(args)})")
    lines.append(f"        => {call};")
    if ret.startswith("Task<Page<"):
        item = ret[len("Task<Page<"):-2]
        all_name = "ListAll" + name[len("List"):]
        lines.append("")
        doc(lines, "    ", f"Every record of <see cref=\"{name}Async\"/>, page after page, following <c>nextCursor</c> while <c>hasMore</c>.", escape=False)
        lines.append(f"    public IAsyncEnumerable<{item}> {all_name}Async({', '.join(a for a in args if not a.startswith('RequestOptions'))})")
        lines.append(f"        => _client.PaginateAsync({request.replace(', Options = options', '')}, SwitchboardJsonContext.Default.{type_info('Page<' + item + '>')}, cancellationToken);")
    return lines


def query_records(operations):
    lines = []
    for _, _, op in operations:
        params = query_params(op)
        if not params:
            continue
        doc(lines, "", f"The query parameters of <c>{op['operationId']}</c>.", escape=False)
        lines.append(f"public sealed record {query_type(op)} : IQueryParameters")
        lines.append("{")
        pairs = []
        for p in params:
            t, _ = cs_type(p.get("schema", {}))
            member = pascal(p["name"])
            doc(lines, "    ", (p.get("description") or f"The `{p['name']}` parameter.") + enum_note(p.get("schema", {})))
            lines.append(f"    public {t}? {member} {{ get; init; }}")
            lines.append("")
            pairs.append((p["name"], member, t))
        lines.append("    IEnumerable<KeyValuePair<string, string>> IQueryParameters.ToPairs()")
        lines.append("    {")
        for wire, member, t in pairs:
            lines.append(f'        if ({member} is {{ }} {camel(member).lstrip("@")}Value) yield return new("{wire}", QueryValue.Format({camel(member).lstrip("@")}Value));')
        lines.append("    }")
        lines.append("}")
        lines.append("")
    return lines


if __name__ == "__main__":
    main()

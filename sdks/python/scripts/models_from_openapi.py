"""Writes switchboard/models.py from the OpenAPI document: TypedDicts for the main resources and for the query
parameters of the list operations. Run it after the API changes (tests/test_models.py fails until then):

    /usr/bin/python3 scripts/models_from_openapi.py ../../tests/Switchboard.Tests/Docs/openapi-v1.snapshot.json
"""

from __future__ import annotations

import json
import keyword
import sys
from pathlib import Path

# SDK model name -> schema name. Responses are total (every field is present); inputs are total=False.
RESPONSES = {
    "Contact": "ContactResponse", "Lead": "LeadResponse", "Deal": "DealResponse", "Activity": "ActivityResponse",
    "Task": "TaskResponse", "Ticket": "TicketResponse", "Call": "CallResponse", "Payment": "PaymentResponse",
    "ChatSession": "ChatSessionResponse", "ChatMessage": "ChatMessageResponse", "LeadConversion": "LeadConversionResponse",
    "SendChatMessageResult": "SendChatMessageResponse",
    "Webhook": "WebhookResponse", "WebhookHealth": "WebhookHealth", "WebhookDelivery": "DeliveryResponse",
    "DeliveryAttempt": "AttemptResponse", "ApiKey": "ApiKeyResponse", "RateLimitSetting": "RateLimitSetting",
    "Installation": "InstallationResponse", "OAuthApp": "OAuthAppResponse", "OAuthAuthorization": "OAuthAuthorizationResponse",
    "AuthSession": "AuthResponse", "User": "UserResponse", "Organization": "OrganizationResponse", "Member": "MemberResponse",
    "Invitation": "InvitationResponse", "PortalLink": "PortalLinkResponse", "Problem": "Problem",
}
INPUTS = {
    "ContactInput": "ContactInput", "LeadInput": "LeadInput", "DealInput": "DealInput", "ActivityInput": "ActivityInput",
    "TaskInput": "TaskInput", "TicketInput": "TicketInput", "CallInput": "CallInput", "PaymentInput": "PaymentInput",
    "ChatSessionInput": "ChatSessionInput", "ChatMessageInput": "ChatMessageInput", "ConvertLeadInput": "ConvertLeadRequest",
    "SendChatMessageInput": "SendChatMessageRequest", "WebhookInput": "WebhookInput",
    "CreateApiKeyInput": "CreateApiKeyRequest", "UpdateApiKeyInput": "UpdateApiKeyRequest",
    "InstallationInput": "InstallationInput", "OAuthAppInput": "OAuthAppInput", "RuleInput": "RuleInput",
    "RetryDeliveriesInput": "RetryDeliveriesRequest", "PortalLinkInput": "PortalLinkRequest",
}
# Query TypedDict name -> operationId of a list operation.
QUERIES = {
    "ContactListParams": "listContacts", "LeadListParams": "listLeads", "DealListParams": "listDeals",
    "ActivityListParams": "listActivities", "TaskListParams": "listTasks", "TicketListParams": "listTickets",
    "CallListParams": "listCalls", "PaymentListParams": "listPayments", "ChatSessionListParams": "listChatSessions",
    "ChatMessageListParams": "listChatMessages", "ApiKeyListParams": "listApiKeys", "WebhookListParams": "listWebhooks",
    "DeliveryListParams": "listWebhookDeliveries", "PortalLinkListParams": "listWebhookPortalLinks", "IntegrationListParams": "listIntegrations",
    "ProviderListParams": "listIntegrationProviders", "OAuthAppListParams": "listOAuthApps",
    "OAuthAuthorizationListParams": "listOAuthAuthorizations", "ActionRunListParams": "listIntegrationActionRuns",
    "PageParams": "listMembers", "AuditLogListParams": "listAuditLogs", "UsageParams": "getUsage", "PeriodParams": "getAnalyticsSummary",
}
BY_SCHEMA = {schema: name for name, schema in RESPONSES.items()}


def py_type(schema: dict, input_model: bool) -> str:
    if "$ref" in schema:
        ref = schema["$ref"].rsplit("/", 1)[1]
        return BY_SCHEMA.get(ref, "dict[str, Any]") if not input_model else "dict[str, Any]"
    if "oneOf" in schema:
        parts = [py_type(s, input_model) for s in schema["oneOf"]]
        return " | ".join(dict.fromkeys(parts))
    types = schema.get("type", [])
    types = [types] if isinstance(types, str) else list(types)
    nullable = "null" in types
    types = [t for t in types if t != "null"]
    if "enum" in schema and types == ["string"]:
        values = [v for v in schema["enum"] if v is not None]
        base = "Literal[" + ", ".join(json.dumps(v) for v in values) + "]"
    elif not types:
        base = "Any"
    else:
        t = types[0]
        if t == "string":
            base = "str"
        elif t == "integer":
            base = "int"
        elif t == "number":
            base = "float"
        elif t == "boolean":
            base = "bool"
        elif t == "array":
            base = f"list[{py_type(schema.get('items', {}), input_model)}]"
        elif t == "object":
            extra = schema.get("additionalProperties")
            base = f"dict[str, {py_type(extra, input_model)}]" if isinstance(extra, dict) else "dict[str, Any]"
        else:
            base = "Any"
    if nullable and base != "None":
        base = f"{base} | None"
    return base


def main(spec_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    schemas = spec["components"]["schemas"]
    ops = {o["operationId"]: o for p in spec["paths"].values() for m, o in p.items() if isinstance(o, dict) and "operationId" in o}
    out = [
        '"""Typed shapes of the API\'s main resources, their inputs and the list operations\' query parameters.',
        "",
        "Generated by scripts/models_from_openapi.py from the v1 OpenAPI document; tests/test_models.py checks every field",
        "against the document, so a change of the API fails the tests until this file is generated again. Field names are",
        "the API's own (camelCase), exactly as in the JSON and the API reference.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from typing import Any, Literal, NotRequired, TypedDict",
        "",
    ]
    for name, schema_name in RESPONSES.items():
        schema = schemas[schema_name]
        required = set(schema.get("required", []))
        out.append("")
        out.append(f"class {name}(TypedDict):")
        out.append(f'    """``{schema_name}``."""')
        out.append("")
        for field, prop in schema.get("properties", {}).items():
            t = py_type(prop, False)
            out.append(f"    {field}: {t}" if field in required else f"    {field}: NotRequired[{t}]")
        out.append("")
    for name, schema_name in INPUTS.items():
        schema = schemas[schema_name]
        out.append("")
        out.append(f"class {name}(TypedDict, total=False):")
        out.append(f'    """``{schema_name}``."""')
        out.append("")
        for field, prop in schema.get("properties", {}).items():
            out.append(f"    {field}: {py_type(prop, True)}")
        out.append("")
    for name, op_id in QUERIES.items():
        fields = []
        for p in ops[op_id].get("parameters", []):
            if p.get("in") != "query":
                continue
            t = py_type(p.get("schema", {}), True)
            if p["name"] == "fields":
                t = "str | list[str]"
            elif "format" in p.get("schema", {}) and p["schema"]["format"] in ("date-time", "date"):
                t = "str | datetime | date"
            fields.append((p["name"], t))
        out.append("")
        if any(keyword.iskeyword(f) for f, _ in fields):
            # A parameter named like a Python keyword ("from") needs the functional form.
            out.append(f"# Query parameters of ``{op_id}``.")
            out.append(f'{name} = TypedDict("{name}", {{')
            out.extend(f'    "{f}": {t},' for f, t in fields)
            out.append("}, total=False)")
        else:
            out.append(f"class {name}(TypedDict, total=False):")
            out.append(f'    """Query parameters of ``{op_id}``."""')
            out.append("")
            out.extend(f"    {f}: {t}" for f, t in fields)
        out.append("")
    text = "\n".join(out).rstrip() + "\n"
    if "datetime" in text:
        text = text.replace("from typing import Any", "from datetime import date, datetime\nfrom typing import Any", 1)
    Path(__file__).resolve().parent.parent.joinpath("switchboard", "models.py").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(Path(__file__).resolve().parents[3] / "tests/Switchboard.Tests/Docs/openapi-v1.snapshot.json"))

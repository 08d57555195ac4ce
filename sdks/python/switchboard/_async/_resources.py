"""Every operation of the v1 API as a method, grouped by resource. Bodies and query parameters use the API's own
field names (camelCase, as in the JSON); SDK options are snake_case keyword arguments (``idempotency_key``,
``if_match``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, AsyncIterator, Generic, Mapping, Sequence, TypeVar, Unpack

from .._request import NO_BODY, QueryValue
from ..models import (
    Activity, ActivityInput, ActivityListParams, ActionRunListParams, ApiKey, ApiKeyListParams, AuthSession, Call,
    CallInput, CallListParams, ChatMessage, ChatMessageInput, ChatMessageListParams, ChatSession, ChatSessionInput,
    ChatSessionListParams, Contact, ContactInput, ContactListParams, ConvertLeadInput, CreateApiKeyInput, Deal,
    DealInput, DealListParams, DeliveryListParams, Installation, InstallationInput, IntegrationListParams,
    Invitation, Lead, LeadConversion, LeadInput, LeadListParams, Member, OAuthApp, OAuthAppInput,
    OAuthAppListParams, OAuthAuthorization, OAuthAuthorizationListParams, Organization, PageParams, PortalLink, PortalLinkInput, PortalLinkListParams, AuditLogListParams, RetryDeliveriesInput, Payment,
    PaymentInput, PaymentListParams, PeriodParams, ProviderListParams, RuleInput, SendChatMessageInput,
    SendChatMessageResult, Task, TaskInput, TaskListParams, Ticket, TicketInput, TicketListParams,
    UpdateApiKeyInput, UsageParams, Webhook, WebhookDelivery, WebhookInput, WebhookListParams,
)
from ..pagination import Page, operation
from ._transport import AsyncTransport

JsonObject = dict[str, Any]
# Module-level aliases: inside a resource class, "list" names its list method.
Fields = str | Sequence[str]
R = TypeVar("R")


async def _walk(
    transport: AsyncTransport, operation_id: str, path_params: Mapping[str, str] | None, query: Mapping[str, QueryValue]
) -> AsyncIterator[Any]:
    """Every record of a list, page after page over the API's cursor (never offsets: docs/pagination.md)."""
    if query.get("offset") is not None:
        raise ValueError("list_all pages with cursors; offset cannot be combined with them")
    params = dict(query)
    while True:
        body = await transport.call(operation_id, path_params=path_params, query=params)
        for record in body["data"]:
            yield record
        if not body.get("hasMore") or not body.get("nextCursor"):
            return
        params["cursor"] = body["nextCursor"]


class AsyncResource:
    def __init__(self, transport: AsyncTransport) -> None:
        self._t = transport


class _AsyncRecords(AsyncResource, Generic[R]):
    """The shared pipeline of the CRM resources: list, create, get, update, delete (one shape, declared per resource)."""

    async def _list(self, op: str, params: Mapping[str, Any], path: Mapping[str, str] | None = None) -> Page[R]:
        return Page.from_json(await self._t.call(op, path_params=path, query=params))

    async def _create(self, op: str, body: Any, idempotency_key: str | None, path: Mapping[str, str] | None = None) -> R:
        result: R = await self._t.call(op, path_params=path, body=body, idempotency_key=idempotency_key)
        return result

    async def _get(self, op: str, path: Mapping[str, str], fields: Fields | None = None) -> R:
        result: R = await self._t.call(op, path_params=path, query={"fields": fields})
        return result

    async def _update(self, op: str, path: Mapping[str, str], body: Any, if_match: str | None) -> R:
        result: R = await self._t.call(op, path_params=path, body=body, if_match=if_match)
        return result

    async def _delete(self, op: str, path: Mapping[str, str], if_match: str | None = None) -> None:
        await self._t.call(op, path_params=path, if_match=if_match)


class AsyncContacts(_AsyncRecords[Contact]):
    @operation("listContacts")
    async def list(self, **params: Unpack[ContactListParams]) -> Page[Contact]:
        return await self._list("listContacts", params)

    @operation("listContacts")
    def list_all(self, **params: Unpack[ContactListParams]) -> AsyncIterator[Contact]:
        return _walk(self._t, "listContacts", None, params)

    @operation("createContact")
    async def create(self, *, idempotency_key: str | None = None, **body: Unpack[ContactInput]) -> Contact:
        return await self._create("createContact", body, idempotency_key)

    @operation("getContact")
    async def get(self, id: str, *, fields: Fields | None = None) -> Contact:
        return await self._get("getContact", {"id": id}, fields)

    @operation("updateContact")
    async def update(self, id: str, *, if_match: str | None = None, **body: Unpack[ContactInput]) -> Contact:
        return await self._update("updateContact", {"id": id}, body, if_match)

    @operation("deleteContact")
    async def delete(self, id: str, *, if_match: str | None = None) -> None:
        await self._delete("deleteContact", {"id": id}, if_match)


class AsyncLeads(_AsyncRecords[Lead]):
    @operation("listLeads")
    async def list(self, **params: Unpack[LeadListParams]) -> Page[Lead]:
        return await self._list("listLeads", params)

    @operation("listLeads")
    def list_all(self, **params: Unpack[LeadListParams]) -> AsyncIterator[Lead]:
        return _walk(self._t, "listLeads", None, params)

    @operation("createLead")
    async def create(self, *, idempotency_key: str | None = None, **body: Unpack[LeadInput]) -> Lead:
        return await self._create("createLead", body, idempotency_key)

    @operation("getLead")
    async def get(self, id: str, *, fields: Fields | None = None) -> Lead:
        return await self._get("getLead", {"id": id}, fields)

    @operation("updateLead")
    async def update(self, id: str, *, if_match: str | None = None, **body: Unpack[LeadInput]) -> Lead:
        return await self._update("updateLead", {"id": id}, body, if_match)

    @operation("deleteLead")
    async def delete(self, id: str, *, if_match: str | None = None) -> None:
        await self._delete("deleteLead", {"id": id}, if_match)

    @operation("convertLead")
    async def convert(
        self, id: str, *, idempotency_key: str | None = None, if_match: str | None = None, **body: Unpack[ConvertLeadInput]
    ) -> LeadConversion:
        result: LeadConversion = await self._t.call(
            "convertLead", path_params={"id": id}, body=body, idempotency_key=idempotency_key, if_match=if_match
        )
        return result


class AsyncDeals(_AsyncRecords[Deal]):
    @operation("listDeals")
    async def list(self, **params: Unpack[DealListParams]) -> Page[Deal]:
        return await self._list("listDeals", params)

    @operation("listDeals")
    def list_all(self, **params: Unpack[DealListParams]) -> AsyncIterator[Deal]:
        return _walk(self._t, "listDeals", None, params)

    @operation("createDeal")
    async def create(self, *, idempotency_key: str | None = None, **body: Unpack[DealInput]) -> Deal:
        return await self._create("createDeal", body, idempotency_key)

    @operation("getDeal")
    async def get(self, id: str, *, fields: Fields | None = None) -> Deal:
        return await self._get("getDeal", {"id": id}, fields)

    @operation("updateDeal")
    async def update(self, id: str, *, if_match: str | None = None, **body: Unpack[DealInput]) -> Deal:
        return await self._update("updateDeal", {"id": id}, body, if_match)

    @operation("deleteDeal")
    async def delete(self, id: str, *, if_match: str | None = None) -> None:
        await self._delete("deleteDeal", {"id": id}, if_match)


class AsyncActivities(_AsyncRecords[Activity]):
    @operation("listActivities")
    async def list(self, **params: Unpack[ActivityListParams]) -> Page[Activity]:
        return await self._list("listActivities", params)

    @operation("listActivities")
    def list_all(self, **params: Unpack[ActivityListParams]) -> AsyncIterator[Activity]:
        return _walk(self._t, "listActivities", None, params)

    @operation("createActivity")
    async def create(self, *, idempotency_key: str | None = None, **body: Unpack[ActivityInput]) -> Activity:
        return await self._create("createActivity", body, idempotency_key)

    @operation("getActivity")
    async def get(self, id: str, *, fields: Fields | None = None) -> Activity:
        return await self._get("getActivity", {"id": id}, fields)

    @operation("updateActivity")
    async def update(self, id: str, *, if_match: str | None = None, **body: Unpack[ActivityInput]) -> Activity:
        return await self._update("updateActivity", {"id": id}, body, if_match)

    @operation("deleteActivity")
    async def delete(self, id: str, *, if_match: str | None = None) -> None:
        await self._delete("deleteActivity", {"id": id}, if_match)


class AsyncTasks(_AsyncRecords[Task]):
    @operation("listTasks")
    async def list(self, **params: Unpack[TaskListParams]) -> Page[Task]:
        return await self._list("listTasks", params)

    @operation("listTasks")
    def list_all(self, **params: Unpack[TaskListParams]) -> AsyncIterator[Task]:
        return _walk(self._t, "listTasks", None, params)

    @operation("createTask")
    async def create(self, *, idempotency_key: str | None = None, **body: Unpack[TaskInput]) -> Task:
        return await self._create("createTask", body, idempotency_key)

    @operation("getTask")
    async def get(self, id: str, *, fields: Fields | None = None) -> Task:
        return await self._get("getTask", {"id": id}, fields)

    @operation("updateTask")
    async def update(self, id: str, *, if_match: str | None = None, **body: Unpack[TaskInput]) -> Task:
        return await self._update("updateTask", {"id": id}, body, if_match)

    @operation("deleteTask")
    async def delete(self, id: str, *, if_match: str | None = None) -> None:
        await self._delete("deleteTask", {"id": id}, if_match)

    @operation("completeTask")
    async def complete(self, id: str, *, idempotency_key: str | None = None, if_match: str | None = None) -> Task:
        result: Task = await self._t.call("completeTask", path_params={"id": id}, idempotency_key=idempotency_key, if_match=if_match)
        return result


class AsyncTickets(_AsyncRecords[Ticket]):
    @operation("listTickets")
    async def list(self, **params: Unpack[TicketListParams]) -> Page[Ticket]:
        return await self._list("listTickets", params)

    @operation("listTickets")
    def list_all(self, **params: Unpack[TicketListParams]) -> AsyncIterator[Ticket]:
        return _walk(self._t, "listTickets", None, params)

    @operation("createTicket")
    async def create(self, *, idempotency_key: str | None = None, **body: Unpack[TicketInput]) -> Ticket:
        return await self._create("createTicket", body, idempotency_key)

    @operation("getTicket")
    async def get(self, id: str, *, fields: Fields | None = None) -> Ticket:
        return await self._get("getTicket", {"id": id}, fields)

    @operation("updateTicket")
    async def update(self, id: str, *, if_match: str | None = None, **body: Unpack[TicketInput]) -> Ticket:
        return await self._update("updateTicket", {"id": id}, body, if_match)

    @operation("deleteTicket")
    async def delete(self, id: str, *, if_match: str | None = None) -> None:
        await self._delete("deleteTicket", {"id": id}, if_match)


class AsyncCalls(_AsyncRecords[Call]):
    @operation("listCalls")
    async def list(self, **params: Unpack[CallListParams]) -> Page[Call]:
        return await self._list("listCalls", params)

    @operation("listCalls")
    def list_all(self, **params: Unpack[CallListParams]) -> AsyncIterator[Call]:
        return _walk(self._t, "listCalls", None, params)

    @operation("createCall")
    async def create(self, *, idempotency_key: str | None = None, **body: Unpack[CallInput]) -> Call:
        return await self._create("createCall", body, idempotency_key)

    @operation("getCall")
    async def get(self, id: str, *, fields: Fields | None = None) -> Call:
        return await self._get("getCall", {"id": id}, fields)

    @operation("updateCall")
    async def update(self, id: str, *, if_match: str | None = None, **body: Unpack[CallInput]) -> Call:
        return await self._update("updateCall", {"id": id}, body, if_match)

    @operation("deleteCall")
    async def delete(self, id: str, *, if_match: str | None = None) -> None:
        await self._delete("deleteCall", {"id": id}, if_match)

    @operation("addCallTranscript")
    async def add_transcript(
        self, id: str, *, transcript: str, language: str | None = None, idempotency_key: str | None = None, if_match: str | None = None
    ) -> Call:
        body: JsonObject = {"transcript": transcript}
        if language is not None:
            body["language"] = language
        result: Call = await self._t.call(
            "addCallTranscript", path_params={"id": id}, body=body, idempotency_key=idempotency_key, if_match=if_match
        )
        return result


class AsyncPayments(_AsyncRecords[Payment]):
    @operation("listPayments")
    async def list(self, **params: Unpack[PaymentListParams]) -> Page[Payment]:
        return await self._list("listPayments", params)

    @operation("listPayments")
    def list_all(self, **params: Unpack[PaymentListParams]) -> AsyncIterator[Payment]:
        return _walk(self._t, "listPayments", None, params)

    @operation("createPayment")
    async def create(self, *, idempotency_key: str | None = None, **body: Unpack[PaymentInput]) -> Payment:
        return await self._create("createPayment", body, idempotency_key)

    @operation("getPayment")
    async def get(self, id: str, *, fields: Fields | None = None) -> Payment:
        return await self._get("getPayment", {"id": id}, fields)

    @operation("updatePayment")
    async def update(self, id: str, *, if_match: str | None = None, **body: Unpack[PaymentInput]) -> Payment:
        return await self._update("updatePayment", {"id": id}, body, if_match)

    @operation("deletePayment")
    async def delete(self, id: str, *, if_match: str | None = None) -> None:
        await self._delete("deletePayment", {"id": id}, if_match)


class AsyncChatSessions(_AsyncRecords[ChatSession]):
    @operation("listChatSessions")
    async def list(self, **params: Unpack[ChatSessionListParams]) -> Page[ChatSession]:
        return await self._list("listChatSessions", params)

    @operation("listChatSessions")
    def list_all(self, **params: Unpack[ChatSessionListParams]) -> AsyncIterator[ChatSession]:
        return _walk(self._t, "listChatSessions", None, params)

    @operation("createChatSession")
    async def create(self, *, idempotency_key: str | None = None, **body: Unpack[ChatSessionInput]) -> ChatSession:
        return await self._create("createChatSession", body, idempotency_key)

    @operation("getChatSession")
    async def get(self, id: str, *, fields: Fields | None = None) -> ChatSession:
        return await self._get("getChatSession", {"id": id}, fields)

    @operation("updateChatSession")
    async def update(self, id: str, *, if_match: str | None = None, **body: Unpack[ChatSessionInput]) -> ChatSession:
        return await self._update("updateChatSession", {"id": id}, body, if_match)

    @operation("deleteChatSession")
    async def delete(self, id: str, *, if_match: str | None = None) -> None:
        await self._delete("deleteChatSession", {"id": id}, if_match)


class AsyncChatMessages(_AsyncRecords[ChatMessage]):
    @operation("listChatMessages")
    async def list(self, session_id: str, **params: Unpack[ChatMessageListParams]) -> Page[ChatMessage]:
        return await self._list("listChatMessages", params, {"id": session_id})

    @operation("listChatMessages")
    def list_all(self, session_id: str, **params: Unpack[ChatMessageListParams]) -> AsyncIterator[ChatMessage]:
        return _walk(self._t, "listChatMessages", {"id": session_id}, params)

    @operation("createChatMessage")
    async def create(self, session_id: str, *, idempotency_key: str | None = None, **body: Unpack[ChatMessageInput]) -> ChatMessage:
        return await self._create("createChatMessage", body, idempotency_key, {"id": session_id})

    @operation("getChatMessage")
    async def get(self, session_id: str, message_id: str) -> ChatMessage:
        return await self._get("getChatMessage", {"id": session_id, "messageId": message_id})


class AsyncChat(AsyncResource):
    def __init__(self, transport: AsyncTransport) -> None:
        super().__init__(transport)
        self.sessions = AsyncChatSessions(transport)
        self.messages = AsyncChatMessages(transport)

    @operation("sendChatMessage")
    async def send_message(self, *, idempotency_key: str | None = None, **body: Unpack[SendChatMessageInput]) -> SendChatMessageResult:
        result: SendChatMessageResult = await self._t.call("sendChatMessage", body=body, idempotency_key=idempotency_key)
        return result


class AsyncAuth(AsyncResource):
    """Sign-up and sessions. These need no credentials; wrap the answer in ``UserSession.from_auth`` to use it."""

    @operation("signup")
    async def signup(self, *, email: str, password: str, name: str, organizationName: str) -> AuthSession:
        body = {"email": email, "password": password, "name": name, "organizationName": organizationName}
        result: AuthSession = await self._t.call("signup", body=body, authenticated=False)
        return result

    @operation("login")
    async def login(self, *, email: str, password: str, organizationId: str | None = None) -> AuthSession:
        body: JsonObject = {"email": email, "password": password}
        if organizationId is not None:
            body["organizationId"] = organizationId
        result: AuthSession = await self._t.call("login", body=body, authenticated=False)
        return result

    @operation("refreshToken")
    async def refresh(self, *, refreshToken: str) -> AuthSession:
        result: AuthSession = await self._t.call("refreshToken", body={"refreshToken": refreshToken}, authenticated=False)
        return result

    @operation("logout")
    async def logout(self, *, refreshToken: str | None = None, accessToken: str | None = None) -> None:
        """Ends the session of ``refreshToken``, or of ``accessToken`` (sent as the bearer credential)."""
        headers = {"Authorization": f"Bearer {accessToken}"} if accessToken else None
        body: Any = {"refreshToken": refreshToken} if refreshToken else NO_BODY
        await self._t.call("logout", body=body, headers=headers, authenticated=False)

    @operation("acceptInvitation")
    async def accept_invitation(self, *, token: str, name: str, password: str) -> AuthSession:
        body = {"token": token, "name": name, "password": password}
        result: AuthSession = await self._t.call("acceptInvitation", body=body, authenticated=False)
        return result


class AsyncMe(AsyncResource):
    @operation("getMe")
    async def get(self) -> JsonObject:
        result: JsonObject = await self._t.call("getMe")
        return result


class AsyncCurrentOrganization(AsyncResource):
    @operation("getOrganization")
    async def get(self) -> Organization:
        result: Organization = await self._t.call("getOrganization")
        return result


class AsyncOverview(AsyncResource):
    @operation("getOverview")
    async def get(self) -> JsonObject:
        result: JsonObject = await self._t.call("getOverview")
        return result


class AsyncAuditLogs(AsyncResource):
    @operation("listAuditLogs")
    async def list(self, **params: Unpack[AuditLogListParams]) -> Page[JsonObject]:
        return Page.from_json(await self._t.call("listAuditLogs", query=params))

    @operation("listAuditLogs")
    def list_all(self, **params: Unpack[AuditLogListParams]) -> AsyncIterator[JsonObject]:
        return _walk(self._t, "listAuditLogs", None, params)


class AsyncUsage(AsyncResource):
    @operation("getUsage")
    async def get(self, **params: Unpack[UsageParams]) -> JsonObject:
        result: JsonObject = await self._t.call("getUsage", query=params)
        return result

    @operation("exportUsage")
    async def export(self, **params: Unpack[UsageParams]) -> bytes:
        """The same figures as CSV (UTF-8 bytes), for spreadsheets."""
        result: bytes = await self._t.call("exportUsage", query=params, headers={"Accept": "text/csv"})
        return result


class AsyncAnalytics(AsyncResource):
    @operation("getAnalyticsSummary")
    async def summary(self, **params: Unpack[PeriodParams]) -> JsonObject:
        result: JsonObject = await self._t.call("getAnalyticsSummary", query=params)
        return result

    @operation("getCallAnalytics")
    async def calls(self, **params: Unpack[PeriodParams]) -> JsonObject:
        result: JsonObject = await self._t.call("getCallAnalytics", query=params)
        return result

    @operation("getLeadAnalytics")
    async def leads(self, **params: Unpack[PeriodParams]) -> JsonObject:
        result: JsonObject = await self._t.call("getLeadAnalytics", query=params)
        return result


class AsyncMembers(AsyncResource):
    @operation("listMembers")
    async def list(self, **params: Unpack[PageParams]) -> Page[Member]:
        return Page.from_json(await self._t.call("listMembers", query=params))

    @operation("listMembers")
    def list_all(self, **params: Unpack[PageParams]) -> AsyncIterator[Member]:
        return _walk(self._t, "listMembers", None, params)

    @operation("updateMember")
    async def update(self, user_id: str, *, role: str) -> Member:
        result: Member = await self._t.call("updateMember", path_params={"userId": user_id}, body={"role": role})
        return result

    @operation("removeMember")
    async def remove(self, user_id: str) -> None:
        await self._t.call("removeMember", path_params={"userId": user_id})


class AsyncInvitations(AsyncResource):
    @operation("createInvitation")
    async def create(self, *, email: str, role: str, idempotency_key: str | None = None) -> Invitation:
        result: Invitation = await self._t.call("createInvitation", body={"email": email, "role": role}, idempotency_key=idempotency_key)
        return result

    @operation("listInvitations")
    async def list(self, **params: Unpack[PageParams]) -> Page[Invitation]:
        return Page.from_json(await self._t.call("listInvitations", query=params))

    @operation("listInvitations")
    def list_all(self, **params: Unpack[PageParams]) -> AsyncIterator[Invitation]:
        return _walk(self._t, "listInvitations", None, params)

    @operation("revokeInvitation")
    async def revoke(self, id: str) -> None:
        await self._t.call("revokeInvitation", path_params={"id": id})


class AsyncApiKeys(AsyncResource):
    @operation("createApiKey")
    async def create(self, *, idempotency_key: str | None = None, **body: Unpack[CreateApiKeyInput]) -> ApiKey:
        """Answers the full ``key`` once; store it now."""
        result: ApiKey = await self._t.call("createApiKey", body=body, idempotency_key=idempotency_key)
        return result

    @operation("listApiKeys")
    async def list(self, **params: Unpack[ApiKeyListParams]) -> Page[ApiKey]:
        return Page.from_json(await self._t.call("listApiKeys", query=params))

    @operation("listApiKeys")
    def list_all(self, **params: Unpack[ApiKeyListParams]) -> AsyncIterator[ApiKey]:
        return _walk(self._t, "listApiKeys", None, params)

    @operation("getApiKey")
    async def get(self, id: str) -> ApiKey:
        result: ApiKey = await self._t.call("getApiKey", path_params={"id": id})
        return result

    @operation("updateApiKey")
    async def update(self, id: str, *, if_match: str | None = None, **body: Unpack[UpdateApiKeyInput]) -> ApiKey:
        result: ApiKey = await self._t.call("updateApiKey", path_params={"id": id}, body=body, if_match=if_match)
        return result

    @operation("revokeApiKey")
    async def revoke(self, id: str) -> None:
        await self._t.call("revokeApiKey", path_params={"id": id})

    @operation("rotateApiKey")
    async def rotate(self, id: str, *, grace_period_seconds: int | None = None, idempotency_key: str | None = None) -> ApiKey:
        body = {"gracePeriodSeconds": grace_period_seconds} if grace_period_seconds is not None else {}
        result: ApiKey = await self._t.call("rotateApiKey", path_params={"id": id}, body=body, idempotency_key=idempotency_key)
        return result

    @operation("getApiKeyUsage")
    async def usage(self, id: str, **params: Unpack[PeriodParams]) -> JsonObject:
        result: JsonObject = await self._t.call("getApiKeyUsage", path_params={"id": id}, query=params)
        return result


class AsyncWebhooks(AsyncResource):
    @operation("listWebhookEventTypes")
    async def event_types(self) -> JsonObject:
        result: JsonObject = await self._t.call("listWebhookEventTypes")
        return result

    @operation("createWebhook")
    async def create(self, *, idempotency_key: str | None = None, **body: Unpack[WebhookInput]) -> Webhook:
        """Answers the endpoint's ``secret`` (``whsec_…``) once; verify deliveries with it."""
        result: Webhook = await self._t.call("createWebhook", body=body, idempotency_key=idempotency_key)
        return result

    @operation("listWebhooks")
    async def list(self, **params: Unpack[WebhookListParams]) -> Page[Webhook]:
        return Page.from_json(await self._t.call("listWebhooks", query=params))

    @operation("listWebhooks")
    def list_all(self, **params: Unpack[WebhookListParams]) -> AsyncIterator[Webhook]:
        return _walk(self._t, "listWebhooks", None, params)

    @operation("getWebhook")
    async def get(self, id: str) -> Webhook:
        result: Webhook = await self._t.call("getWebhook", path_params={"id": id})
        return result

    @operation("updateWebhook")
    async def update(self, id: str, **body: Unpack[WebhookInput]) -> Webhook:
        result: Webhook = await self._t.call("updateWebhook", path_params={"id": id}, body=body)
        return result

    @operation("deleteWebhook")
    async def delete(self, id: str) -> None:
        await self._t.call("deleteWebhook", path_params={"id": id})

    @operation("listWebhookDeliveries")
    async def deliveries(self, id: str, **params: Unpack[DeliveryListParams]) -> Page[WebhookDelivery]:
        return Page.from_json(await self._t.call("listWebhookDeliveries", path_params={"id": id}, query=params))

    @operation("listWebhookDeliveries")
    def all_deliveries(self, id: str, **params: Unpack[DeliveryListParams]) -> AsyncIterator[WebhookDelivery]:
        return _walk(self._t, "listWebhookDeliveries", {"id": id}, params)

    @operation("retryWebhookDelivery")
    async def retry_delivery(self, delivery_id: str, *, idempotency_key: str | None = None) -> JsonObject:
        result: JsonObject = await self._t.call("retryWebhookDelivery", path_params={"deliveryId": delivery_id}, idempotency_key=idempotency_key)
        return result

    @operation("retryWebhookDeliveries")
    async def retry_deliveries(self, id: str, *, idempotency_key: str | None = None, **body: Unpack[RetryDeliveriesInput]) -> JsonObject:
        """Retries the failed deliveries a filter selects (``dryRun=True`` only counts them)."""
        result: JsonObject = await self._create("retryWebhookDeliveries", body, idempotency_key, {"id": id})
        return result

    @operation("testWebhook")
    async def test(self, id: str, *, idempotency_key: str | None = None) -> JsonObject:
        result: JsonObject = await self._t.call("testWebhook", path_params={"id": id}, idempotency_key=idempotency_key)
        return result

    @operation("rotateWebhookSecret")
    async def rotate_secret(self, id: str, *, idempotency_key: str | None = None) -> Webhook:
        result: Webhook = await self._t.call("rotateWebhookSecret", path_params={"id": id}, idempotency_key=idempotency_key)
        return result

    @operation("replayWebhook")
    async def replay(self, id: str, *, since: str | datetime, idempotency_key: str | None = None) -> JsonObject:
        result: JsonObject = await self._t.call("replayWebhook", path_params={"id": id}, body={"since": since}, idempotency_key=idempotency_key)
        return result

    @operation("createWebhookPortalLink")
    async def create_portal_link(self, *, idempotency_key: str | None = None, **body: Unpack[PortalLinkInput]) -> PortalLink:
        """A short-lived link to the webhook pages for an iframe in your product; its ``url`` is answered once."""
        result: PortalLink = await self._create("createWebhookPortalLink", body, idempotency_key)
        return result

    @operation("listWebhookPortalLinks")
    async def portal_links(self, **params: Unpack[PortalLinkListParams]) -> Page[PortalLink]:
        return Page.from_json(await self._t.call("listWebhookPortalLinks", query=params))

    @operation("listWebhookPortalLinks")
    def all_portal_links(self, **params: Unpack[PortalLinkListParams]) -> AsyncIterator[PortalLink]:
        return _walk(self._t, "listWebhookPortalLinks", None, params)

    @operation("revokeWebhookPortalLink")
    async def revoke_portal_link(self, id: str) -> None:
        await self._t.call("revokeWebhookPortalLink", path_params={"id": id})


class AsyncProviders(AsyncResource):
    """The marketplace's catalog of integrations."""

    @operation("listIntegrationProviders")
    async def list(self, **params: Unpack[ProviderListParams]) -> Page[JsonObject]:
        return Page.from_json(await self._t.call("listIntegrationProviders", query=params))

    @operation("getIntegrationProvider")
    async def get(self, key: str) -> JsonObject:
        result: JsonObject = await self._t.call("getIntegrationProvider", path_params={"key": key})
        return result

    @operation("getIntegrationProviderIcon")
    async def icon(self, key: str) -> bytes:
        """The provider's icon as SVG bytes."""
        result: bytes = await self._t.call("getIntegrationProviderIcon", path_params={"key": key}, headers={"Accept": "image/svg+xml"}, authenticated=False)
        return result

    @operation("listIntegrationProviderReviews")
    async def reviews(self, key: str, **params: Unpack[PageParams]) -> Page[JsonObject]:
        return Page.from_json(await self._t.call("listIntegrationProviderReviews", path_params={"key": key}, query=params))

    @operation("putMyIntegrationProviderReview")
    async def put_my_review(self, key: str, *, rating: int, text: str | None = None) -> JsonObject:
        body: JsonObject = {"rating": rating, "text": text}
        result: JsonObject = await self._t.call("putMyIntegrationProviderReview", path_params={"key": key}, body=body)
        return result

    @operation("deleteMyIntegrationProviderReview")
    async def delete_my_review(self, key: str) -> None:
        await self._t.call("deleteMyIntegrationProviderReview", path_params={"key": key})


class AsyncIntegrationRules(AsyncResource):
    @operation("createIntegrationRule")
    async def create(self, installation_id: str, *, idempotency_key: str | None = None, **body: Unpack[RuleInput]) -> JsonObject:
        result: JsonObject = await self._t.call("createIntegrationRule", path_params={"id": installation_id}, body=body, idempotency_key=idempotency_key)
        return result

    @operation("listIntegrationRules")
    async def list(self, installation_id: str, **params: Unpack[PageParams]) -> Page[JsonObject]:
        return Page.from_json(await self._t.call("listIntegrationRules", path_params={"id": installation_id}, query=params))

    @operation("getIntegrationRule")
    async def get(self, installation_id: str, rule_id: str) -> JsonObject:
        result: JsonObject = await self._t.call("getIntegrationRule", path_params={"id": installation_id, "ruleId": rule_id})
        return result

    @operation("updateIntegrationRule")
    async def update(self, installation_id: str, rule_id: str, **body: Unpack[RuleInput]) -> JsonObject:
        result: JsonObject = await self._t.call("updateIntegrationRule", path_params={"id": installation_id, "ruleId": rule_id}, body=body)
        return result

    @operation("deleteIntegrationRule")
    async def delete(self, installation_id: str, rule_id: str) -> None:
        await self._t.call("deleteIntegrationRule", path_params={"id": installation_id, "ruleId": rule_id})


class AsyncIntegrations(AsyncResource):
    def __init__(self, transport: AsyncTransport) -> None:
        super().__init__(transport)
        self.providers = AsyncProviders(transport)
        self.rules = AsyncIntegrationRules(transport)

    @operation("createIntegration")
    async def install(self, *, idempotency_key: str | None = None, **body: Unpack[InstallationInput]) -> Installation:
        """Installs a provider (credentials are write-only: no answer contains them)."""
        result: Installation = await self._t.call("createIntegration", body=body, idempotency_key=idempotency_key)
        return result

    create = install

    @operation("listIntegrations")
    async def list(self, **params: Unpack[IntegrationListParams]) -> Page[Installation]:
        return Page.from_json(await self._t.call("listIntegrations", query=params))

    @operation("listIntegrations")
    def list_all(self, **params: Unpack[IntegrationListParams]) -> AsyncIterator[Installation]:
        return _walk(self._t, "listIntegrations", None, params)

    @operation("getIntegration")
    async def get(self, id: str) -> Installation:
        result: Installation = await self._t.call("getIntegration", path_params={"id": id})
        return result

    @operation("updateIntegration")
    async def update(self, id: str, **body: Unpack[InstallationInput]) -> Installation:
        result: Installation = await self._t.call("updateIntegration", path_params={"id": id}, body=body)
        return result

    @operation("deleteIntegration")
    async def delete(self, id: str) -> None:
        await self._t.call("deleteIntegration", path_params={"id": id})

    @operation("testIntegration")
    async def test(self, id: str, *, idempotency_key: str | None = None) -> JsonObject:
        result: JsonObject = await self._t.call("testIntegration", path_params={"id": id}, idempotency_key=idempotency_key)
        return result

    @operation("getIntegrationStatus")
    async def status(self, id: str) -> JsonObject:
        result: JsonObject = await self._t.call("getIntegrationStatus", path_params={"id": id})
        return result

    @operation("connectIntegration")
    async def connect(self, id: str, *, return_url: str | None = None) -> JsonObject:
        """For an OAuth provider: the authorize URL to send the person to."""
        result: JsonObject = await self._t.call("connectIntegration", path_params={"id": id}, query={"returnUrl": return_url})
        return result

    @operation("integrationOAuthCallback")
    async def complete_oauth(
        self, *, state: str, code: str | None = None, error: str | None = None, error_description: str | None = None
    ) -> JsonObject:
        """What the provider's redirect carries, handed to the node (normally the browser does this itself)."""
        query = {"state": state, "code": code, "error": error, "error_description": error_description}
        result: JsonObject = await self._t.call("integrationOAuthCallback", query=query, authenticated=False)
        return result

    @operation("listIntegrationActionRuns")
    async def action_runs(self, id: str, **params: Unpack[ActionRunListParams]) -> Page[JsonObject]:
        return Page.from_json(await self._t.call("listIntegrationActionRuns", path_params={"id": id}, query=params))

    @operation("retryIntegrationActionRun")
    async def retry_action_run(self, id: str, delivery_id: str, *, idempotency_key: str | None = None) -> JsonObject:
        result: JsonObject = await self._t.call(
            "retryIntegrationActionRun", path_params={"id": id, "deliveryId": delivery_id}, idempotency_key=idempotency_key
        )
        return result

    @operation("startIntegrationSync")
    async def sync(self, id: str, *, model: str | None = None, idempotency_key: str | None = None) -> JsonObject:
        """Starts a sync of one model, or of every model the provider syncs."""
        result: JsonObject = await self._t.call(
            "startIntegrationSync", path_params={"id": id}, body={"model": model} if model else NO_BODY, idempotency_key=idempotency_key
        )
        return result

    @operation("listIntegrationSyncRuns")
    async def sync_runs(self, id: str, **params: Unpack[PageParams]) -> Page[JsonObject]:
        return Page.from_json(await self._t.call("listIntegrationSyncRuns", path_params={"id": id}, query=params))

    @operation("getIntegrationSyncRun")
    async def get_sync_run(self, id: str, run_id: str) -> JsonObject:
        result: JsonObject = await self._t.call("getIntegrationSyncRun", path_params={"id": id, "runId": run_id})
        return result

    @operation("receiveIntegrationInbound")
    async def send_inbound(self, id: str, kind: str, *, content: bytes, content_type: str, headers: Mapping[str, str] | None = None) -> Any:
        """A provider's own signed request (e.g. a Slack slash command), forwarded as received. For relays and tests."""
        return await self._t.call(
            "receiveIntegrationInbound", path_params={"id": id, "kind": kind}, content=content, content_type=content_type,
            headers=headers, authenticated=False,
        )

    @operation("verifyIntegrationInbound")
    async def verify_inbound(self, id: str, kind: str, *, params: Mapping[str, str] | None = None) -> Any:
        """A provider's verification handshake for its inbound URL."""
        return await self._t.call("verifyIntegrationInbound", path_params={"id": id, "kind": kind}, query=params, authenticated=False)

    @operation("receiveProviderInbound")
    async def send_provider_inbound(self, key: str, kind: str, *, content: bytes, content_type: str, headers: Mapping[str, str] | None = None) -> Any:
        """A provider's app-wide signed webhook (QuickBooks, Xero, Jira), forwarded as received. For relays and tests."""
        return await self._t.call(
            "receiveProviderInbound", path_params={"key": key, "kind": kind}, content=content, content_type=content_type,
            headers=headers, authenticated=False,
        )


class AsyncOAuthApps(AsyncResource):
    @operation("createOAuthApp")
    async def create(self, *, idempotency_key: str | None = None, **body: Unpack[OAuthAppInput]) -> OAuthApp:
        """Answers ``clientSecret`` once, for a confidential app."""
        result: OAuthApp = await self._t.call("createOAuthApp", body=body, idempotency_key=idempotency_key)
        return result

    @operation("listOAuthApps")
    async def list(self, **params: Unpack[OAuthAppListParams]) -> Page[OAuthApp]:
        return Page.from_json(await self._t.call("listOAuthApps", query=params))

    @operation("listOAuthApps")
    def list_all(self, **params: Unpack[OAuthAppListParams]) -> AsyncIterator[OAuthApp]:
        return _walk(self._t, "listOAuthApps", None, params)

    @operation("getOAuthApp")
    async def get(self, id: str) -> OAuthApp:
        result: OAuthApp = await self._t.call("getOAuthApp", path_params={"id": id})
        return result

    @operation("updateOAuthApp")
    async def update(self, id: str, *, if_match: str | None = None, **body: Unpack[OAuthAppInput]) -> OAuthApp:
        result: OAuthApp = await self._t.call("updateOAuthApp", path_params={"id": id}, body=body, if_match=if_match)
        return result

    @operation("deleteOAuthApp")
    async def delete(self, id: str, *, if_match: str | None = None) -> None:
        await self._t.call("deleteOAuthApp", path_params={"id": id}, if_match=if_match)

    @operation("rotateOAuthAppSecret")
    async def rotate_secret(self, id: str, *, grace_period_seconds: int | None = None, idempotency_key: str | None = None) -> OAuthApp:
        body = {"gracePeriodSeconds": grace_period_seconds} if grace_period_seconds is not None else {}
        result: OAuthApp = await self._t.call("rotateOAuthAppSecret", path_params={"id": id}, body=body, idempotency_key=idempotency_key)
        return result


class AsyncOAuthAuthorizations(AsyncResource):
    @operation("listOAuthAuthorizations")
    async def list(self, **params: Unpack[OAuthAuthorizationListParams]) -> Page[OAuthAuthorization]:
        return Page.from_json(await self._t.call("listOAuthAuthorizations", query=params))

    @operation("listOAuthAuthorizations")
    def list_all(self, **params: Unpack[OAuthAuthorizationListParams]) -> AsyncIterator[OAuthAuthorization]:
        return _walk(self._t, "listOAuthAuthorizations", None, params)

    @operation("getOAuthAuthorization")
    async def get(self, id: str) -> OAuthAuthorization:
        result: OAuthAuthorization = await self._t.call("getOAuthAuthorization", path_params={"id": id})
        return result

    @operation("revokeOAuthAuthorization")
    async def revoke(self, id: str, *, if_match: str | None = None) -> None:
        await self._t.call("revokeOAuthAuthorization", path_params={"id": id}, if_match=if_match)


class AsyncOAuth(AsyncResource):
    def __init__(self, transport: AsyncTransport) -> None:
        super().__init__(transport)
        self.apps = AsyncOAuthApps(transport)
        self.authorizations = AsyncOAuthAuthorizations(transport)


class AsyncAdmin(AsyncResource):
    """Operator endpoints; the client needs ``admin_token`` (the installation's Switchboard:Admin:Token)."""

    @operation("setOrganizationPlan")
    async def set_organization_plan(self, organization_id: str, *, plan: str, dailyQuota: int | None = None) -> JsonObject:
        body: JsonObject = {"plan": plan}
        if dailyQuota is not None:
            body["dailyQuota"] = dailyQuota
        result: JsonObject = await self._t.call("setOrganizationPlan", path_params={"id": organization_id}, body=body, authenticated=False)
        return result

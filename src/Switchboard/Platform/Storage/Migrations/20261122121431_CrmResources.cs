using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Switchboard.Platform.Storage.Migrations;

/// <summary>Scaffolded by tools/MigrationScaffolder; see MigrationsMatchModelTests.</summary>
[DbContext(typeof(SwitchboardDbContext))]
[Migration("20261122121431_CrmResources")]
public sealed class CrmResources : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable("idempotency_keys", t => new
        {
            organization_id = t.Column<string>(maxLength: 40),
            key = t.Column<string>(maxLength: 255),
            request_hash = t.Column<string>(maxLength: 64),
            created_at = t.Column<DateTime>(),
            expires_at = t.Column<DateTime>(),
            locked_until = t.Column<DateTime>(nullable: true),
            response_status = t.Column<int>(nullable: true),
            response_headers = t.Column<string>(maxLength: 2000, nullable: true),
            response_body = t.Column<byte[]>(nullable: true),
        }, constraints: t =>
        {
            t.PrimaryKey("PK_idempotency_keys", x => new { x.organization_id, x.key });
        });
        migrationBuilder.CreateTable("contacts", t => new
        {
            id = t.Column<string>(maxLength: 40),
            first_name = t.Column<string>(maxLength: 100, nullable: true),
            last_name = t.Column<string>(maxLength: 100, nullable: true),
            email = t.Column<string>(maxLength: 320, nullable: true),
            phone = t.Column<string>(maxLength: 16, nullable: true),
            company = t.Column<string>(maxLength: 200, nullable: true),
            job_title = t.Column<string>(maxLength: 200, nullable: true),
            notes = t.Column<string>(maxLength: 10000, nullable: true),
            organization_id = t.Column<string>(maxLength: 40),
            created_at = t.Column<DateTime>(),
            updated_at = t.Column<DateTime>(),
            version = t.Column<long>(),
            metadata = t.Column<string>(maxLength: 30000),
        }, constraints: t =>
        {
            t.PrimaryKey("PK_contacts", x => x.id);
            t.ForeignKey("FK_contacts_organizations_organization_id", x => x.organization_id, "organizations", "id", onDelete: ReferentialAction.Cascade);
        });
        migrationBuilder.CreateTable("outbox_events", t => new
        {
            id = t.Column<string>(maxLength: 40),
            organization_id = t.Column<string>(maxLength: 40),
            type = t.Column<string>(maxLength: 80),
            resource_type = t.Column<string>(maxLength: 40, nullable: true),
            resource_id = t.Column<string>(maxLength: 40, nullable: true),
            data = t.Column<string>(),
            previous_attributes = t.Column<string>(nullable: true),
            created_at = t.Column<DateTime>(),
            dispatched_at = t.Column<DateTime>(nullable: true),
        }, constraints: t =>
        {
            t.PrimaryKey("PK_outbox_events", x => x.id);
            t.ForeignKey("FK_outbox_events_organizations_organization_id", x => x.organization_id, "organizations", "id", onDelete: ReferentialAction.Cascade);
        });
        migrationBuilder.CreateTable("calls", t => new
        {
            id = t.Column<string>(maxLength: 40),
            direction = t.Column<string>(maxLength: 10),
            from_number = t.Column<string>(maxLength: 16),
            to_number = t.Column<string>(maxLength: 16),
            status = t.Column<string>(maxLength: 20),
            duration_seconds = t.Column<int>(),
            outcome = t.Column<string>(maxLength: 100, nullable: true),
            contact_id = t.Column<string>(maxLength: 40, nullable: true),
            started_at = t.Column<DateTime>(),
            ended_at = t.Column<DateTime>(nullable: true),
            notes = t.Column<string>(maxLength: 10000, nullable: true),
            transcript = t.Column<string>(nullable: true),
            transcript_language = t.Column<string>(maxLength: 35, nullable: true),
            organization_id = t.Column<string>(maxLength: 40),
            created_at = t.Column<DateTime>(),
            updated_at = t.Column<DateTime>(),
            version = t.Column<long>(),
            metadata = t.Column<string>(maxLength: 30000),
        }, constraints: t =>
        {
            t.PrimaryKey("PK_calls", x => x.id);
            t.ForeignKey("FK_calls_contacts_contact_id", x => x.contact_id, "contacts", "id", onDelete: ReferentialAction.SetNull);
            t.ForeignKey("FK_calls_organizations_organization_id", x => x.organization_id, "organizations", "id", onDelete: ReferentialAction.Cascade);
        });
        migrationBuilder.CreateTable("chat_sessions", t => new
        {
            id = t.Column<string>(maxLength: 40),
            contact_id = t.Column<string>(maxLength: 40, nullable: true),
            channel = t.Column<string>(maxLength: 20),
            status = t.Column<string>(maxLength: 20),
            subject = t.Column<string>(maxLength: 300, nullable: true),
            visitor_name = t.Column<string>(maxLength: 200, nullable: true),
            visitor_email = t.Column<string>(maxLength: 320, nullable: true),
            message_count = t.Column<int>(),
            last_message_at = t.Column<DateTime>(nullable: true),
            closed_at = t.Column<DateTime>(nullable: true),
            organization_id = t.Column<string>(maxLength: 40),
            created_at = t.Column<DateTime>(),
            updated_at = t.Column<DateTime>(),
            version = t.Column<long>(),
            metadata = t.Column<string>(maxLength: 30000),
        }, constraints: t =>
        {
            t.PrimaryKey("PK_chat_sessions", x => x.id);
            t.ForeignKey("FK_chat_sessions_contacts_contact_id", x => x.contact_id, "contacts", "id", onDelete: ReferentialAction.SetNull);
            t.ForeignKey("FK_chat_sessions_organizations_organization_id", x => x.organization_id, "organizations", "id", onDelete: ReferentialAction.Cascade);
        });
        migrationBuilder.CreateTable("deals", t => new
        {
            id = t.Column<string>(maxLength: 40),
            name = t.Column<string>(maxLength: 200),
            amount_micros = t.Column<long>(),
            currency = t.Column<string>(maxLength: 3),
            stage = t.Column<string>(maxLength: 20),
            contact_id = t.Column<string>(maxLength: 40, nullable: true),
            expected_close_date = t.Column<DateOnly>(nullable: true),
            probability = t.Column<int>(nullable: true),
            closed_at = t.Column<DateTime>(nullable: true),
            notes = t.Column<string>(maxLength: 10000, nullable: true),
            organization_id = t.Column<string>(maxLength: 40),
            created_at = t.Column<DateTime>(),
            updated_at = t.Column<DateTime>(),
            version = t.Column<long>(),
            metadata = t.Column<string>(maxLength: 30000),
        }, constraints: t =>
        {
            t.PrimaryKey("PK_deals", x => x.id);
            t.ForeignKey("FK_deals_contacts_contact_id", x => x.contact_id, "contacts", "id", onDelete: ReferentialAction.SetNull);
            t.ForeignKey("FK_deals_organizations_organization_id", x => x.organization_id, "organizations", "id", onDelete: ReferentialAction.Cascade);
        });
        migrationBuilder.CreateTable("tickets", t => new
        {
            id = t.Column<string>(maxLength: 40),
            subject = t.Column<string>(maxLength: 300),
            description = t.Column<string>(maxLength: 20000, nullable: true),
            priority = t.Column<string>(maxLength: 10),
            status = t.Column<string>(maxLength: 20),
            contact_id = t.Column<string>(maxLength: 40, nullable: true),
            resolved_at = t.Column<DateTime>(nullable: true),
            organization_id = t.Column<string>(maxLength: 40),
            created_at = t.Column<DateTime>(),
            updated_at = t.Column<DateTime>(),
            version = t.Column<long>(),
            metadata = t.Column<string>(maxLength: 30000),
        }, constraints: t =>
        {
            t.PrimaryKey("PK_tickets", x => x.id);
            t.ForeignKey("FK_tickets_contacts_contact_id", x => x.contact_id, "contacts", "id", onDelete: ReferentialAction.SetNull);
            t.ForeignKey("FK_tickets_organizations_organization_id", x => x.organization_id, "organizations", "id", onDelete: ReferentialAction.Cascade);
        });
        migrationBuilder.CreateTable("chat_messages", t => new
        {
            id = t.Column<string>(maxLength: 40),
            session_id = t.Column<string>(maxLength: 40),
            author = t.Column<string>(maxLength: 20),
            author_name = t.Column<string>(maxLength: 200, nullable: true),
            body = t.Column<string>(maxLength: 10000),
            organization_id = t.Column<string>(maxLength: 40),
            created_at = t.Column<DateTime>(),
            updated_at = t.Column<DateTime>(),
            version = t.Column<long>(),
            metadata = t.Column<string>(maxLength: 30000),
        }, constraints: t =>
        {
            t.PrimaryKey("PK_chat_messages", x => x.id);
            t.ForeignKey("FK_chat_messages_chat_sessions_session_id", x => x.session_id, "chat_sessions", "id", onDelete: ReferentialAction.Cascade);
            t.ForeignKey("FK_chat_messages_organizations_organization_id", x => x.organization_id, "organizations", "id", onDelete: ReferentialAction.Cascade);
        });
        migrationBuilder.CreateTable("leads", t => new
        {
            id = t.Column<string>(maxLength: 40),
            name = t.Column<string>(maxLength: 200),
            email = t.Column<string>(maxLength: 320, nullable: true),
            phone = t.Column<string>(maxLength: 16, nullable: true),
            company = t.Column<string>(maxLength: 200, nullable: true),
            source = t.Column<string>(maxLength: 100, nullable: true),
            status = t.Column<string>(maxLength: 20),
            score = t.Column<int>(),
            notes = t.Column<string>(maxLength: 10000, nullable: true),
            converted_contact_id = t.Column<string>(maxLength: 40, nullable: true),
            converted_deal_id = t.Column<string>(maxLength: 40, nullable: true),
            converted_at = t.Column<DateTime>(nullable: true),
            organization_id = t.Column<string>(maxLength: 40),
            created_at = t.Column<DateTime>(),
            updated_at = t.Column<DateTime>(),
            version = t.Column<long>(),
            metadata = t.Column<string>(maxLength: 30000),
        }, constraints: t =>
        {
            t.PrimaryKey("PK_leads", x => x.id);
            t.ForeignKey("FK_leads_contacts_converted_contact_id", x => x.converted_contact_id, "contacts", "id", onDelete: ReferentialAction.SetNull);
            t.ForeignKey("FK_leads_deals_converted_deal_id", x => x.converted_deal_id, "deals", "id", onDelete: ReferentialAction.SetNull);
            t.ForeignKey("FK_leads_organizations_organization_id", x => x.organization_id, "organizations", "id", onDelete: ReferentialAction.Cascade);
        });
        migrationBuilder.CreateTable("payments", t => new
        {
            id = t.Column<string>(maxLength: 40),
            amount_micros = t.Column<long>(),
            currency = t.Column<string>(maxLength: 3),
            status = t.Column<string>(maxLength: 20),
            contact_id = t.Column<string>(maxLength: 40, nullable: true),
            deal_id = t.Column<string>(maxLength: 40, nullable: true),
            description = t.Column<string>(maxLength: 1000, nullable: true),
            method = t.Column<string>(maxLength: 20, nullable: true),
            external_id = t.Column<string>(maxLength: 200, nullable: true),
            failure_reason = t.Column<string>(maxLength: 500, nullable: true),
            paid_at = t.Column<DateTime>(nullable: true),
            refunded_at = t.Column<DateTime>(nullable: true),
            organization_id = t.Column<string>(maxLength: 40),
            created_at = t.Column<DateTime>(),
            updated_at = t.Column<DateTime>(),
            version = t.Column<long>(),
            metadata = t.Column<string>(maxLength: 30000),
        }, constraints: t =>
        {
            t.PrimaryKey("PK_payments", x => x.id);
            t.ForeignKey("FK_payments_contacts_contact_id", x => x.contact_id, "contacts", "id", onDelete: ReferentialAction.SetNull);
            t.ForeignKey("FK_payments_deals_deal_id", x => x.deal_id, "deals", "id", onDelete: ReferentialAction.SetNull);
            t.ForeignKey("FK_payments_organizations_organization_id", x => x.organization_id, "organizations", "id", onDelete: ReferentialAction.Cascade);
        });
        migrationBuilder.CreateTable("tasks", t => new
        {
            id = t.Column<string>(maxLength: 40),
            title = t.Column<string>(maxLength: 300),
            description = t.Column<string>(maxLength: 10000, nullable: true),
            due_at = t.Column<DateTime>(nullable: true),
            status = t.Column<string>(maxLength: 20),
            completed_at = t.Column<DateTime>(nullable: true),
            contact_id = t.Column<string>(maxLength: 40, nullable: true),
            deal_id = t.Column<string>(maxLength: 40, nullable: true),
            organization_id = t.Column<string>(maxLength: 40),
            created_at = t.Column<DateTime>(),
            updated_at = t.Column<DateTime>(),
            version = t.Column<long>(),
            metadata = t.Column<string>(maxLength: 30000),
        }, constraints: t =>
        {
            t.PrimaryKey("PK_tasks", x => x.id);
            t.ForeignKey("FK_tasks_contacts_contact_id", x => x.contact_id, "contacts", "id", onDelete: ReferentialAction.SetNull);
            t.ForeignKey("FK_tasks_deals_deal_id", x => x.deal_id, "deals", "id", onDelete: ReferentialAction.SetNull);
            t.ForeignKey("FK_tasks_organizations_organization_id", x => x.organization_id, "organizations", "id", onDelete: ReferentialAction.Cascade);
        });
        migrationBuilder.CreateTable("activities", t => new
        {
            id = t.Column<string>(maxLength: 40),
            type = t.Column<string>(maxLength: 20),
            subject = t.Column<string>(maxLength: 300),
            notes = t.Column<string>(maxLength: 20000, nullable: true),
            contact_id = t.Column<string>(maxLength: 40, nullable: true),
            lead_id = t.Column<string>(maxLength: 40, nullable: true),
            deal_id = t.Column<string>(maxLength: 40, nullable: true),
            occurred_at = t.Column<DateTime>(),
            organization_id = t.Column<string>(maxLength: 40),
            created_at = t.Column<DateTime>(),
            updated_at = t.Column<DateTime>(),
            version = t.Column<long>(),
            metadata = t.Column<string>(maxLength: 30000),
        }, constraints: t =>
        {
            t.PrimaryKey("PK_activities", x => x.id);
            t.ForeignKey("FK_activities_contacts_contact_id", x => x.contact_id, "contacts", "id", onDelete: ReferentialAction.SetNull);
            t.ForeignKey("FK_activities_deals_deal_id", x => x.deal_id, "deals", "id", onDelete: ReferentialAction.SetNull);
            t.ForeignKey("FK_activities_leads_lead_id", x => x.lead_id, "leads", "id", onDelete: ReferentialAction.SetNull);
            t.ForeignKey("FK_activities_organizations_organization_id", x => x.organization_id, "organizations", "id", onDelete: ReferentialAction.Cascade);
        });
        migrationBuilder.CreateIndex("IX_activities_contact_id", "activities", "contact_id");
        migrationBuilder.CreateIndex("IX_activities_deal_id", "activities", "deal_id");
        migrationBuilder.CreateIndex("IX_activities_lead_id", "activities", "lead_id");
        migrationBuilder.CreateIndex("IX_activities_organization_id_created_at_id", "activities", ["organization_id", "created_at", "id"]);
        migrationBuilder.CreateIndex("IX_activities_organization_id_occurred_at_id", "activities", ["organization_id", "occurred_at", "id"]);
        migrationBuilder.CreateIndex("IX_activities_organization_id_updated_at_id", "activities", ["organization_id", "updated_at", "id"]);
        migrationBuilder.CreateIndex("IX_calls_contact_id", "calls", "contact_id");
        migrationBuilder.CreateIndex("IX_calls_organization_id_created_at_id", "calls", ["organization_id", "created_at", "id"]);
        migrationBuilder.CreateIndex("IX_calls_organization_id_started_at_id", "calls", ["organization_id", "started_at", "id"]);
        migrationBuilder.CreateIndex("IX_calls_organization_id_updated_at_id", "calls", ["organization_id", "updated_at", "id"]);
        migrationBuilder.CreateIndex("IX_chat_messages_organization_id_created_at_id", "chat_messages", ["organization_id", "created_at", "id"]);
        migrationBuilder.CreateIndex("IX_chat_messages_organization_id_updated_at_id", "chat_messages", ["organization_id", "updated_at", "id"]);
        migrationBuilder.CreateIndex("IX_chat_messages_session_id_created_at_id", "chat_messages", ["session_id", "created_at", "id"]);
        migrationBuilder.CreateIndex("IX_chat_sessions_contact_id", "chat_sessions", "contact_id");
        migrationBuilder.CreateIndex("IX_chat_sessions_organization_id_created_at_id", "chat_sessions", ["organization_id", "created_at", "id"]);
        migrationBuilder.CreateIndex("IX_chat_sessions_organization_id_status", "chat_sessions", ["organization_id", "status"]);
        migrationBuilder.CreateIndex("IX_chat_sessions_organization_id_updated_at_id", "chat_sessions", ["organization_id", "updated_at", "id"]);
        migrationBuilder.CreateIndex("IX_contacts_organization_id_created_at_id", "contacts", ["organization_id", "created_at", "id"]);
        migrationBuilder.CreateIndex("IX_contacts_organization_id_email", "contacts", ["organization_id", "email"]);
        migrationBuilder.CreateIndex("IX_contacts_organization_id_updated_at_id", "contacts", ["organization_id", "updated_at", "id"]);
        migrationBuilder.CreateIndex("IX_deals_contact_id", "deals", "contact_id");
        migrationBuilder.CreateIndex("IX_deals_organization_id_created_at_id", "deals", ["organization_id", "created_at", "id"]);
        migrationBuilder.CreateIndex("IX_deals_organization_id_stage", "deals", ["organization_id", "stage"]);
        migrationBuilder.CreateIndex("IX_deals_organization_id_updated_at_id", "deals", ["organization_id", "updated_at", "id"]);
        migrationBuilder.CreateIndex("IX_idempotency_keys_expires_at", "idempotency_keys", "expires_at");
        migrationBuilder.CreateIndex("IX_leads_converted_contact_id", "leads", "converted_contact_id");
        migrationBuilder.CreateIndex("IX_leads_converted_deal_id", "leads", "converted_deal_id");
        migrationBuilder.CreateIndex("IX_leads_organization_id_created_at_id", "leads", ["organization_id", "created_at", "id"]);
        migrationBuilder.CreateIndex("IX_leads_organization_id_status", "leads", ["organization_id", "status"]);
        migrationBuilder.CreateIndex("IX_leads_organization_id_updated_at_id", "leads", ["organization_id", "updated_at", "id"]);
        migrationBuilder.CreateIndex("IX_outbox_events_dispatched_at_id", "outbox_events", ["dispatched_at", "id"]);
        migrationBuilder.CreateIndex("IX_outbox_events_organization_id_id", "outbox_events", ["organization_id", "id"]);
        migrationBuilder.CreateIndex("IX_payments_contact_id", "payments", "contact_id");
        migrationBuilder.CreateIndex("IX_payments_deal_id", "payments", "deal_id");
        migrationBuilder.CreateIndex("IX_payments_organization_id_created_at_id", "payments", ["organization_id", "created_at", "id"]);
        migrationBuilder.CreateIndex("IX_payments_organization_id_status", "payments", ["organization_id", "status"]);
        migrationBuilder.CreateIndex("IX_payments_organization_id_updated_at_id", "payments", ["organization_id", "updated_at", "id"]);
        migrationBuilder.CreateIndex("IX_tasks_contact_id", "tasks", "contact_id");
        migrationBuilder.CreateIndex("IX_tasks_deal_id", "tasks", "deal_id");
        migrationBuilder.CreateIndex("IX_tasks_organization_id_created_at_id", "tasks", ["organization_id", "created_at", "id"]);
        migrationBuilder.CreateIndex("IX_tasks_organization_id_status_due_at", "tasks", ["organization_id", "status", "due_at"]);
        migrationBuilder.CreateIndex("IX_tasks_organization_id_updated_at_id", "tasks", ["organization_id", "updated_at", "id"]);
        migrationBuilder.CreateIndex("IX_tickets_contact_id", "tickets", "contact_id");
        migrationBuilder.CreateIndex("IX_tickets_organization_id_created_at_id", "tickets", ["organization_id", "created_at", "id"]);
        migrationBuilder.CreateIndex("IX_tickets_organization_id_status", "tickets", ["organization_id", "status"]);
        migrationBuilder.CreateIndex("IX_tickets_organization_id_updated_at_id", "tickets", ["organization_id", "updated_at", "id"]);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable("activities");
        migrationBuilder.DropTable("tasks");
        migrationBuilder.DropTable("payments");
        migrationBuilder.DropTable("leads");
        migrationBuilder.DropTable("chat_messages");
        migrationBuilder.DropTable("tickets");
        migrationBuilder.DropTable("deals");
        migrationBuilder.DropTable("chat_sessions");
        migrationBuilder.DropTable("calls");
        migrationBuilder.DropTable("outbox_events");
        migrationBuilder.DropTable("contacts");
        migrationBuilder.DropTable("idempotency_keys");
    }
}

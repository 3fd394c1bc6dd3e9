"""HTTP views of the agent interface: parse, authorise, call a service, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET, require_POST

from comptoir.agents.models import Agent
from comptoir.collaboration import queries as collaboration
from comptoir.conversations import queries, services
from comptoir.conversations.forms import (
    AssignForm,
    CallbackForm,
    LogContactForm,
    NoteForm,
    ReplyForm,
    StatusForm,
)
from comptoir.conversations.models import CallbackRequest, Conversation, Message
from comptoir.conversations.queries import InboxView

PAGE_SIZE = 50


class InboxPaginator(Paginator):
    """A paginator that counts up to queries.COUNT_CAP: older pages are reached by search."""

    @cached_property
    def count(self) -> int:
        counted = self.object_list[: queries.COUNT_CAP + 1].count()
        self.capped = counted > queries.COUNT_CAP
        return min(counted, queries.COUNT_CAP)

    def page(self, number: int | str) -> Page:  # type: ignore[override]
        """One page, its ids read first: a deep page's OFFSET then walks the index alone
        (an index-only scan) instead of reading every skipped row; the page's 50 rows and
        their relations are fetched after, by id (bench/inbox.py measures both)."""
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        ids = list(self.object_list.values_list("pk", flat=True)[bottom : bottom + self.per_page])
        rows = {row.pk: row for row in self.object_list.filter(pk__in=ids)}
        return self._get_page([rows[pk] for pk in ids if pk in rows], number, self)

    @property
    def pages_label(self) -> str:
        return f"{self.num_pages}+" if self.count and self.capped else str(self.num_pages)


class AgentRequest(HttpRequest):
    """A request that login_required let through: its user is an agent."""

    user: Agent


# The services raise ConversationError with English text; these are the known ones, listed
# so that makemessages puts them in the catalogue and error_text() can show them translated.
SERVICE_ERRORS = (
    gettext_noop("The reply is empty."),
    gettext_noop("The note is empty."),
    gettext_noop("This customer has no email address to answer to."),
    gettext_noop("This channel cannot be logged by hand."),
    gettext_noop("A logged contact is either from or to the customer."),
    gettext_noop("The summary is empty."),
    gettext_noop("This phone number is not valid."),
)


def error_text(error: services.ConversationError) -> str:
    return _(str(error))


@login_required
@require_GET
def inbox(request: AgentRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()[:200]
    try:
        view: InboxView | None = InboxView(request.GET.get("view", InboxView.UNASSIGNED))
    except ValueError:
        view = InboxView.UNASSIGNED
    if search and "view" not in request.GET:
        # A search from the header looks everywhere, not only in the current tab.
        view = None
    conversations = queries.list_conversations(view=view, agent=request.user, search=search)
    page = InboxPaginator(conversations, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = queries.count_inbox_views(request.user)
    tabs = [
        {
            "view": v,
            "label": queries.INBOX_LABELS[v],
            "count": counts[v],
            "more": counts[v] >= queries.COUNT_CAP,
            "active": v == view,
        }
        for v in InboxView
    ]
    return render(
        request,
        "conversations/inbox.html",
        {"page": page, "tabs": tabs, "view": view, "search": search},
    )


def render_conversation(
    request: AgentRequest,
    conversation: Conversation,
    *,
    reply_form: ReplyForm | None = None,
    note_form: NoteForm | None = None,
    contact_form: LogContactForm | None = None,
    callback_form: CallbackForm | None = None,
    reply_conflict: list[Message] | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "conversation": conversation,
        "thread": queries.list_thread(conversation),
        "other_conversations": queries.list_other_conversations(
            conversation, agent=request.user
        ),
        "reply_form": reply_form or ReplyForm(),
        "note_form": note_form or NoteForm(),
        "assign_form": AssignForm(initial={"assignee": conversation.assignee_id}),
        "status_form": StatusForm(initial={"status": conversation.status}),
        "contact_form": contact_form or LogContactForm(),
        "callback_form": callback_form
        or CallbackForm(
            initial={
                # An outsider gets the customer's name and the conversation, not the record.
                "phone_number": ""
                if request.user.is_outsider
                else queries.find_customer_phone(conversation) or "",
                "team": conversation.team_id,
            }
        ),
        "callbacks": queries.list_open_callbacks(conversation, agent=request.user),
        "now": timezone.now(),
        "reply_conflict": reply_conflict,
    }
    return render(request, "conversations/conversation.html", context, status=status)


@login_required
@require_GET
def conversation_detail(request: AgentRequest, pk: int) -> HttpResponse:
    conversation = queries.get_conversation(pk, agent=request.user)
    services.record_viewed(conversation=conversation, agent=request.user)
    return render_conversation(request, conversation)


@login_required
@require_POST
def reply(request: AgentRequest, pk: int) -> HttpResponse:
    conversation = queries.get_conversation(pk, agent=request.user)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The reply is empty."))
        return render_conversation(request, conversation, reply_form=form, status=400)
    # Another agent answered since this page was loaded: ask before the customer gets two.
    newer = collaboration.list_replies_since(
        conversation=conversation,
        agent=request.user,
        last_seen=request.POST.get("last_seen_message"),
    )
    if newer:
        return render_conversation(request, conversation, reply_form=form, reply_conflict=newer)
    try:
        services.reply_to_conversation(
            conversation=conversation, agent=request.user, text=form.cleaned_data["text"]
        )
    except services.ConversationError as error:
        # The typed text goes back in the form: an agent never loses an answer.
        messages.error(
            request, _("The reply was not sent: %(error)s") % {"error": error_text(error)}
        )
        return render_conversation(request, conversation, reply_form=form, status=400)
    messages.success(request, _("Reply sent."))
    return redirect("conversations:detail", pk=conversation.pk)


@login_required
@require_POST
def check_reply(request: AgentRequest, pk: int) -> HttpResponse:
    """The quality gate's findings on the reply being typed, shown live under the box."""
    queries.get_conversation(pk, agent=request.user)  # 404 for one the agent may not open
    text = request.POST.get("text", "")[:20_000]
    findings = services.check_reply_text(text=text) if text.strip() else []
    return render(request, "conversations/reply_findings.html", {"findings": findings})


@login_required
@require_POST
def add_note(request: AgentRequest, pk: int) -> HttpResponse:
    conversation = queries.get_conversation(pk, agent=request.user)
    form = NoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The note is empty."))
        return render_conversation(request, conversation, note_form=form, status=400)
    try:
        services.add_note(
            conversation=conversation, agent=request.user, text=form.cleaned_data["text"]
        )
    except services.ConversationError as error:
        messages.error(
            request, _("The note was not saved: %(error)s") % {"error": error_text(error)}
        )
        return render_conversation(request, conversation, note_form=form, status=400)
    messages.success(request, _("Note added."))
    return redirect("conversations:detail", pk=conversation.pk)


@login_required
@require_POST
def log_contact(request: AgentRequest, pk: int) -> HttpResponse:
    conversation = queries.get_conversation(pk, agent=request.user)
    form = LogContactForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The contact was not logged: check the form."))
        return render_conversation(request, conversation, contact_form=form, status=400)
    try:
        services.log_contact(
            conversation=conversation,
            agent=request.user,
            channel=form.cleaned_data["channel"],
            direction=form.cleaned_data["direction"],
            summary=form.cleaned_data["summary"].replace("\r\n", "\n"),
        )
    except services.ConversationError as error:
        messages.error(
            request, _("The contact was not logged: %(error)s") % {"error": error_text(error)}
        )
        return render_conversation(request, conversation, contact_form=form, status=400)
    messages.success(request, _("Contact logged."))
    return redirect("conversations:detail", pk=conversation.pk)


@login_required
@require_POST
def request_callback(request: AgentRequest, pk: int) -> HttpResponse:
    conversation = queries.get_conversation(pk, agent=request.user)
    form = CallbackForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The call-back was not requested: check the form."))
        return render_conversation(request, conversation, callback_form=form, status=400)
    try:
        services.request_callback(
            conversation=conversation,
            agent=request.user,
            phone_number=form.cleaned_data["phone_number"],
            due_at=form.cleaned_data["due_at"],
            team=form.cleaned_data["team"],
            note=form.cleaned_data["note"],
        )
    except services.ConversationError as error:
        form.add_error("phone_number", error_text(error))
        messages.error(
            request,
            _("The call-back was not requested: %(error)s") % {"error": error_text(error)},
        )
        return render_conversation(request, conversation, callback_form=form, status=400)
    messages.success(request, _("Call-back requested."))
    return redirect("conversations:detail", pk=conversation.pk)


@login_required
@require_GET
def callbacks(request: AgentRequest) -> HttpResponse:
    return render(
        request,
        "conversations/callbacks.html",
        {"callbacks": queries.list_open_callbacks(agent=request.user), "now": timezone.now()},
    )


@login_required
@require_POST
def complete_callback(request: AgentRequest, pk: int) -> HttpResponse:
    callback = queries.get_callback(pk, agent=request.user)
    cancel = "cancel" in request.POST
    status = CallbackRequest.Status.CANCELLED if cancel else CallbackRequest.Status.DONE
    if services.complete_callback(callback=callback, agent=request.user, status=status):
        messages.success(request, _("Call-back cancelled.") if cancel else _("Call-back done."))
    else:
        messages.info(request, _("This call-back was already closed."))
    return redirect("conversations:callbacks")


@login_required
@require_POST
def assign(request: AgentRequest, pk: int) -> HttpResponse:
    conversation = queries.get_conversation(pk, agent=request.user)
    assignee: Agent | None
    if "assign_to_me" in request.POST:
        assignee = request.user
    else:
        form = AssignForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("This agent cannot be assigned."))
            return render_conversation(request, conversation, status=400)
        assignee = form.cleaned_data["assignee"]
    try:
        services.assign_conversation(conversation=conversation, assignee=assignee, by=request.user)
    except services.ConversationError as error:
        messages.error(request, error_text(error))
        return render_conversation(request, conversation, status=400)
    if assignee is None:
        messages.success(request, _("Conversation unassigned."))
    else:
        messages.success(request, _("Conversation assigned to %(agent)s.") % {"agent": assignee})
    return redirect("conversations:detail", pk=conversation.pk)


@login_required
@require_POST
def change_status(request: AgentRequest, pk: int) -> HttpResponse:
    conversation = queries.get_conversation(pk, agent=request.user)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Unknown status."))
        return render_conversation(request, conversation, status=400)
    try:
        services.change_status(
            conversation=conversation, status=form.cleaned_data["status"], by=request.user
        )
    except services.ConversationError as error:
        messages.error(request, error_text(error))
        return render_conversation(request, conversation, status=400)
    messages.success(
        request,
        _("Status changed to %(status)s.") % {"status": conversation.get_status_display()},
    )
    return redirect("conversations:detail", pk=conversation.pk)


@login_required
@require_GET
def download_attachment(request: AgentRequest, pk: int) -> FileResponse:
    attachment = queries.get_attachment(pk, agent=request.user)
    if not attachment.file:
        raise Http404("This attachment was too large to be stored; it is in the raw email.")
    # Always a download, never rendered: an attachment is the customer's content, and an
    # HTML or SVG file opened inline would run in our origin.
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.filename or f"attachment-{attachment.pk}",
        content_type=attachment.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response

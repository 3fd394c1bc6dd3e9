from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from comptoir.sorting.models import Classification, ClassifierModel
from comptoir.sorting.tasks import retrain_classifier_task


@admin.register(Classification)
class ClassificationAdmin(admin.ModelAdmin):
    list_display = [
        "conversation",
        "category",
        "level",
        "language",
        "sentiment",
        "urgency",
        "confidence",
        "model_version",
        "corrected_by",
    ]
    list_filter = ["category", "level", "sentiment", "urgency", "language"]
    list_select_related = ["conversation", "corrected_by"]
    raw_id_fields = ["conversation", "corrected_by"]
    # Corrections go through the conversation page, which records who made them.
    readonly_fields = [
        "conversation",
        "confidence",
        "model_version",
        "predicted_at",
        "corrected_by",
        "corrected_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ClassifierModel)
class ClassifierModelAdmin(admin.ModelAdmin):
    change_list_template = "admin/sorting/classifiermodel/change_list.html"
    list_display = [
        "version",
        "trained_at",
        "training_size",
        "corrections",
        "accuracy",
        "training_seconds",
    ]
    exclude = ["pipeline"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        retrain = self.admin_site.admin_view(require_POST(self.retrain_view))
        return [
            path("retrain/", retrain, name="sorting_classifiermodel_retrain"),
            *super().get_urls(),
        ]

    def retrain_view(self, request: HttpRequest) -> HttpResponse:
        # Training takes seconds and grows with the corrections: the worker does it.
        retrain_classifier_task.enqueue()
        self.message_user(
            request,
            _("Training started: the new version appears here in a few seconds."),
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:sorting_classifiermodel_changelist"))

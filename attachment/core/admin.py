"""Django admin pages of personal records are audited like the application's own pages."""

from attachment.core import audit


class AuditedAdmin:
    """Mix into a ModelAdmin of personal records: every list, record, history and delete
    page the admin opens writes a view (or search) audit event, and every change a
    create/update/delete one, with who, when and from which address."""

    def _audit(self, request, action, object_id="list", summary=""):
        audit.record(user=request.user, action=action, object_type=self.model._meta.label, object_id=str(object_id),
                     actor=getattr(request, "actor", None), summary=f"Admin: {summary}"[:300])

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        if request.method == "GET" and response.status_code == 200:
            query = request.GET.get("q", "")
            self._audit(request, "search" if query else "view",
                        summary=f"{self.model._meta.verbose_name_plural} list {request.GET.urlencode()}")
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            self._audit(request, "view", object_id, f"{self.model._meta.verbose_name} page")
        return response

    def history_view(self, request, object_id, extra_context=None):
        response = super().history_view(request, object_id, extra_context)
        if response.status_code == 200:
            self._audit(request, "view", object_id, f"{self.model._meta.verbose_name} history")
        return response

    def delete_view(self, request, object_id, extra_context=None):
        response = super().delete_view(request, object_id, extra_context)
        if request.method == "GET" and response.status_code == 200:
            self._audit(request, "view", object_id, f"{self.model._meta.verbose_name} delete confirmation")
        return response

    # Changes: the admin calls these once for each object it adds, changes or deletes.
    def log_addition(self, request, obj, message):
        self._audit(request, "create", obj.pk, f"added {obj._meta.verbose_name}")
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        self._audit(request, "update", obj.pk, f"changed {obj._meta.verbose_name}")
        return super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        for obj in queryset:
            self._audit(request, "update", obj.pk, f"deleted {obj._meta.verbose_name}")
        return super().log_deletions(request, queryset)

from django.contrib import admin


class ViewOnlyAdmin(admin.ModelAdmin):
    """Records that only services write (the ledger, awards, history): shown, never edited."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

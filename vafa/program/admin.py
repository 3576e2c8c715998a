from django.contrib import admin

from vafa.program.models import ProgramSettings


@admin.register(ProgramSettings)
class ProgramSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "earn_points", "earn_per_rial", "point_value_rial", "expiry", "expiry_periods",
                    "updated_at")

    def has_add_permission(self, request):
        return not ProgramSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

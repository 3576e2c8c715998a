from django.utils.translation import get_language_bidi

from vafa.merchants.selectors import staff_role


def page(request):
    """What every page's frame needs: text direction and the staff member's role."""
    user = getattr(request, "user", None)
    return {
        "text_dir": "rtl" if get_language_bidi() else "ltr",
        "staff_role": staff_role(user) if user is not None else None,
    }

"""Staff-side service-request pages outside the admin: opening an inspection from an analysis page."""

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import clock
from core.web.gates import staff_permission_required
from services.actions.requests import open_inspection


@staff_member_required  # anyone but staff goes to the admin login, as the admin pages it sits among do
@require_POST
@staff_permission_required("services.change_servicerequest")
def open_inspection_view(request):
    try:
        inspection = open_inspection(
            actor=request.user,
            account_number=request.POST.get("account_number", ""),
            reason=request.POST.get("reason", "") or _("Line-loss suspicion"),
            evidence=request.POST.get("evidence", ""),
            as_of=clock.now(),
        )
    except ValidationError as error:
        messages.error(request, "; ".join(error.messages))
        back = request.POST.get("next", "")
        safe = url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        return redirect(back if safe and back else "admin:index")
    except Http404:
        messages.error(request, _("No such account."))
        return redirect("admin:index")
    messages.success(request, _("Inspection %(number)s is open.") % {"number": inspection.number})
    return redirect("admin:services_servicerequest_change", inspection.pk)
